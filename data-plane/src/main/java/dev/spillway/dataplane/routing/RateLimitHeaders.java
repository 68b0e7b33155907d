package dev.spillway.dataplane.routing;

import io.netty.handler.codec.http.HttpHeaders;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * A provider's own rate-limit headers, read from every response: OpenAI, Azure OpenAI and compatible servers send
 * {@code x-ratelimit-remaining-requests} / {@code -tokens}, {@code x-ratelimit-limit-*} and {@code x-ratelimit-reset-*}
 * (durations like {@code 1s}, {@code 6m0s}, {@code 20ms}); Anthropic sends {@code anthropic-ratelimit-requests-*} and
 * {@code anthropic-ratelimit-tokens-*} with {@code -remaining}, {@code -limit} and {@code -reset} (an RFC 3339 time).
 */
public final class RateLimitHeaders {
  /**
   * How much room a key had when the provider last said so. A negative count is unknown.
   *
   * @param resetRequestsNanos when the request count resets ({@link System#nanoTime()} scale)
   */
  public record Room(long remainingRequests, long limitRequests, long resetRequestsNanos, long remainingTokens,
      long limitTokens, long resetTokensNanos) {
    public static final Room UNKNOWN = new Room(-1, -1, 0, -1, -1, 0);

    /** The provider said 0 requests or 0 tokens remain, and the reset has not come yet. */
    public boolean exhaustedAt(long nowNanos) {
      return (remainingRequests == 0 && resetRequestsNanos - nowNanos > 0)
          || (remainingTokens == 0 && resetTokensNanos - nowNanos > 0);
    }

    /** When an exhausted key's room comes back; {@code nowNanos} when it has room. */
    long resetNanos(long nowNanos) {
      long at = nowNanos;
      if (remainingRequests == 0 && resetRequestsNanos - at > 0) {
        at = resetRequestsNanos;
      }
      if (remainingTokens == 0 && resetTokensNanos - at > 0) {
        at = resetTokensNanos;
      }
      return at;
    }

    /**
     * The share of its limits the key has left, 0 to 1, the tighter of requests and tokens; 1 when unknown (a key
     * nobody has measured is presumed to have room, so it gets tried and measured).
     */
    public double share(long nowNanos) {
      double requests = share(remainingRequests, limitRequests, resetRequestsNanos, nowNanos);
      double tokens = share(remainingTokens, limitTokens, resetTokensNanos, nowNanos);
      return Math.min(requests, tokens);
    }

    private static double share(long remaining, long limit, long resetNanos, long nowNanos) {
      if (remaining < 0 || resetNanos - nowNanos <= 0 && resetNanos != 0) {
        return 1; // unknown, or the window has reset since
      }
      if (limit <= 0) {
        return remaining > 0 ? 1 : 0;
      }
      return Math.min(1, (double) remaining / limit);
    }
  }

  private RateLimitHeaders() {}

  /** The room {@code headers} report, or null when they carry no rate-limit header. */
  public static Room read(HttpHeaders headers, long nowNanos) {
    String openAiRequests = headers.get("x-ratelimit-remaining-requests");
    String openAiTokens = headers.get("x-ratelimit-remaining-tokens");
    if (openAiRequests != null || openAiTokens != null) {
      return new Room(count(openAiRequests), count(headers.get("x-ratelimit-limit-requests")),
          nowNanos + durationNanos(headers.get("x-ratelimit-reset-requests")),
          count(openAiTokens), count(headers.get("x-ratelimit-limit-tokens")),
          nowNanos + durationNanos(headers.get("x-ratelimit-reset-tokens")));
    }
    String anthropicRequests = headers.get("anthropic-ratelimit-requests-remaining");
    String anthropicTokens = headers.get("anthropic-ratelimit-tokens-remaining");
    if (anthropicRequests != null || anthropicTokens != null) {
      return new Room(count(anthropicRequests), count(headers.get("anthropic-ratelimit-requests-limit")),
          nowNanos + untilNanos(headers.get("anthropic-ratelimit-requests-reset")),
          count(anthropicTokens), count(headers.get("anthropic-ratelimit-tokens-limit")),
          nowNanos + untilNanos(headers.get("anthropic-ratelimit-tokens-reset")));
    }
    return null;
  }

  private static long count(String value) {
    if (value == null) {
      return -1;
    }
    try {
      return Math.max(0, Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** OpenAI's reset durations: {@code 1s}, {@code 6m0s}, {@code 1h2m3.5s}, {@code 20ms}; 0 when unreadable. */
  static long durationNanos(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    double totalMs = 0;
    int i = 0;
    String text = value.trim();
    while (i < text.length()) {
      int start = i;
      while (i < text.length() && (Character.isDigit(text.charAt(i)) || text.charAt(i) == '.')) {
        i++;
      }
      if (start == i) {
        return 0;
      }
      double number;
      try {
        number = Double.parseDouble(text.substring(start, i));
      } catch (NumberFormatException e) {
        return 0;
      }
      int unitStart = i;
      while (i < text.length() && Character.isLetter(text.charAt(i))) {
        i++;
      }
      switch (text.substring(unitStart, i)) {
        case "ms" -> totalMs += number;
        case "s", "" -> totalMs += number * 1_000;
        case "m" -> totalMs += number * 60_000;
        case "h" -> totalMs += number * 3_600_000;
        default -> {
          return 0;
        }
      }
    }
    return (long) (totalMs * 1_000_000);
  }

  /** Anthropic's reset times are instants; nanos from now until then, 0 when past or unreadable. */
  private static long untilNanos(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      long ms = Instant.parse(value.trim()).toEpochMilli() - System.currentTimeMillis();
      return Math.max(0, ms) * 1_000_000;
    } catch (DateTimeParseException e) {
      return 0;
    }
  }
}
