package dev.spillway.dataplane.upstream;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Removes credentials from text a provider sent back, before a client reads it. A provider, or a proxy in front of
 * it, that echoes the headers it received would otherwise hand Spillway's provider key to whoever holds a virtual
 * key.
 *
 * <p>Two kinds of secrets are replaced with {@value #REDACTED}:
 * <ul>
 *   <li>every credential the node sent in {@linkplain #of(UpstreamRequest) this request}: the value of
 *       {@code Authorization} and the token after its scheme ({@code Bearer}, {@code Basic} and the password inside
 *       it), the access key id and signature of an AWS SigV4 {@code Authorization}, the values of {@code x-api-key},
 *       {@code api-key}, {@code x-goog-api-key}, {@code X-Amz-Security-Token} and of any header or query parameter
 *       whose name says key, token, secret, signature, credential or password (Gemini's {@code key=}); each also
 *       URL-encoded and with JSON's escaped slash, as echoes often carry them;
 *   <li>anything shaped like a credential: {@code Bearer <token>}, {@code sk-}, {@code sk-ant-}, {@code sk-proj-},
 *       {@code sk-sw-} followed by at least 16 token characters (also OpenAI's masked {@code sk-proj-****…abcd}),
 *       and AWS access key ids ({@code AKIA}/{@code ASIA} and 16 more).
 * </ul>
 *
 * <p>Cheap when there is nothing to find: the request's secrets are worked out on first use only (most requests
 * never produce an error to scrub), a scrub is one {@link String#indexOf} per secret plus one pass over the text
 * without regular expressions, and text without a match is returned as is. An instance belongs to one request and
 * may be used from any thread.
 */
public final class CredentialScrubber implements UnaryOperator<String> {
  /** What a credential is replaced with. */
  public static final String REDACTED = "[redacted]";
  /** Scrubs the credential shapes only, for text that belongs to no particular upstream request. */
  public static final CredentialScrubber SHAPES_ONLY = new CredentialScrubber(null);

  /** Shorter values are no real credential, and replacing them everywhere would mangle the message. */
  private static final int MIN_SECRET_LENGTH = 8;
  /** Characters after {@code sk-} for the text to be taken as a key. */
  private static final int MIN_KEY_TAIL = 16;
  /** Characters after {@code AKIA}/{@code ASIA} in an AWS access key id. */
  private static final int AWS_KEY_TAIL = 16;
  /** Header or parameter names whose values are secrets, whatever the provider calls them. */
  private static final String[] SECRET_NAME_PARTS = {"key", "token", "secret", "signature", "credential",
      "password", "authorization"};

  private final UpstreamRequest request;
  /** The request's secrets and their encodings, longest first; null until first needed. */
  private volatile String[] secrets;

  private CredentialScrubber(UpstreamRequest request) {
    this.request = request;
  }

  /** A scrubber for the credentials {@code request} carries (as sent) and for credential shapes. */
  public static CredentialScrubber of(UpstreamRequest request) {
    return new CredentialScrubber(Objects.requireNonNull(request, "request"));
  }

  /** {@code text} without credentials; the same instance when it has none. */
  @Override
  public String apply(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String scrubbed = text;
    for (String secret : secrets()) {
      scrubbed = replaceAll(scrubbed, secret);
    }
    return scrubShapes(scrubbed);
  }

  private String[] secrets() {
    String[] known = secrets;
    if (known == null) {
      known = request == null ? new String[0] : collect(request);
      secrets = known;
    }
    return known;
  }

  private static String[] collect(UpstreamRequest request) {
    Set<String> found = new LinkedHashSet<>();
    for (Map.Entry<String, String> header : request.headers()) {
      String name = header.getKey();
      String value = header.getValue();
      if (HttpHeaderNames.AUTHORIZATION.contentEqualsIgnoreCase(name)) {
        authorization(value, found);
      } else if (isSecretName(name)) {
        found.add(value.strip());
      }
    }
    URI uri = request.uri();
    if (uri.getRawUserInfo() != null) {
      String userInfo = uri.getRawUserInfo();
      found.add(userInfo.substring(userInfo.indexOf(':') + 1));
    }
    if (uri.getRawQuery() != null) {
      for (String parameter : uri.getRawQuery().split("&")) {
        int eq = parameter.indexOf('=');
        if (eq > 0 && isSecretName(parameter.substring(0, eq))) {
          String raw = parameter.substring(eq + 1);
          found.add(raw);
          String decoded = QueryStringDecoder.decodeComponent(raw);
          found.add(decoded);
          if (parameter.regionMatches(true, 0, "X-Amz-Credential", 0, eq)) {
            found.add(accessKeyId(decoded));
          }
        }
      }
    }
    List<String> all = new ArrayList<>();
    for (String secret : found) {
      if (secret == null || secret.length() < MIN_SECRET_LENGTH) {
        continue;
      }
      all.add(secret);
      String encoded = URLEncoder.encode(secret, StandardCharsets.UTF_8);
      if (!encoded.equals(secret)) {
        all.add(encoded);
      }
      if (secret.indexOf('/') >= 0) {
        all.add(secret.replace("/", "\\/"));
      }
    }
    // Longest first: the whole header value goes before the token inside it.
    return all.stream().distinct().sorted(Comparator.comparingInt(String::length).reversed())
        .toArray(String[]::new);
  }

  /** The value, and what is secret inside it for the schemes providers use. */
  private static void authorization(String value, Set<String> found) {
    String v = value.strip();
    found.add(v);
    int space = v.indexOf(' ');
    if (space < 0) {
      return;
    }
    String scheme = v.substring(0, space);
    String rest = v.substring(space + 1).strip();
    found.add(rest);
    if (scheme.equalsIgnoreCase("Basic")) {
      try {
        String pair = new String(Base64.getDecoder().decode(rest), StandardCharsets.UTF_8);
        found.add(pair);
        found.add(pair.substring(pair.indexOf(':') + 1));
      } catch (IllegalArgumentException notBase64) {
        // the value itself is already listed
      }
    } else if (scheme.equalsIgnoreCase("AWS4-HMAC-SHA256")) {
      // Credential=AKIA…/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=…, Signature=<hex>
      for (String part : rest.split(",")) {
        String p = part.strip();
        if (p.startsWith("Credential=")) {
          found.add(accessKeyId(p.substring("Credential=".length())));
        } else if (p.startsWith("Signature=")) {
          found.add(p.substring("Signature=".length()));
        }
      }
    }
  }

  /** The access key id of a SigV4 credential scope, {@code AKIA…/date/region/service/aws4_request}. */
  private static String accessKeyId(String credentialScope) {
    int slash = credentialScope.indexOf('/');
    return slash < 0 ? credentialScope : credentialScope.substring(0, slash);
  }

  private static boolean isSecretName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    for (String part : SECRET_NAME_PARTS) {
      if (lower.contains(part)) {
        return true;
      }
    }
    return false;
  }

  private static String replaceAll(String text, String secret) {
    int at = text.indexOf(secret);
    if (at < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int from = 0;
    while (at >= 0) {
      out.append(text, from, at).append(REDACTED);
      from = at + secret.length();
      at = text.indexOf(secret, from);
    }
    return out.append(text, from, text.length()).toString();
  }

  /** One pass over {@code text} for {@code Bearer <token>}, {@code sk-…} keys and AWS access key ids. */
  static String scrubShapes(String text) {
    StringBuilder out = null;
    int copied = 0;
    int n = text.length();
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      int start = -1;
      int end = -1;
      if ((c == 'B' || c == 'b') && text.regionMatches(true, i, "bearer", 0, 6) && boundaryBefore(text, i)) {
        int tokenStart = i + 6;
        while (tokenStart < n && (text.charAt(tokenStart) == ' ' || text.charAt(tokenStart) == '\t')) {
          tokenStart++;
        }
        int tokenEnd = b64TokenEnd(text, tokenStart);
        if (tokenStart > i + 6 && looksLikeToken(text, tokenStart, tokenEnd)) {
          start = tokenStart;
          end = tokenEnd;
        }
      } else if (c == 's' && text.startsWith("sk-", i) && boundaryBefore(text, i)) {
        int tail = i + 3;
        while (tail < n && (isKeyChar(text.charAt(tail)) || text.charAt(tail) == '*')) {
          tail++;
        }
        if (tail - (i + 3) >= MIN_KEY_TAIL) {
          start = i;
          end = tail;
        }
      } else if (c == 'A' && (text.startsWith("AKIA", i) || text.startsWith("ASIA", i)) && boundaryBefore(text, i)
          && i + 4 + AWS_KEY_TAIL <= n && isAwsKeyTail(text, i + 4) && boundaryAfter(text, i + 4 + AWS_KEY_TAIL)) {
        start = i;
        end = i + 4 + AWS_KEY_TAIL;
      }
      if (start < 0) {
        i++;
        continue;
      }
      if (out == null) {
        out = new StringBuilder(n);
      }
      out.append(text, copied, start).append(REDACTED);
      copied = end;
      i = end;
    }
    return out == null ? text : out.append(text, copied, n).toString();
  }

  /** RFC 6750 b64token: letters, digits and {@code -._~+/}, then any {@code =} padding. */
  private static int b64TokenEnd(String text, int from) {
    int i = from;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (isKeyChar(c) || c == '.' || c == '~' || c == '+' || c == '/') {
        i++;
      } else {
        break;
      }
    }
    while (i < text.length() && text.charAt(i) == '=') {
      i++;
    }
    return i;
  }

  /** A word after "Bearer" is a token when long and not plain letters ("Bearer authentication" is prose). */
  private static boolean looksLikeToken(String text, int start, int end) {
    int length = end - start;
    if (length < MIN_SECRET_LENGTH) {
      return false;
    }
    if (length >= 24) {
      return true;
    }
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')) {
        return true;
      }
    }
    return false;
  }

  private static boolean isAwsKeyTail(String text, int from) {
    for (int i = from; i < from + AWS_KEY_TAIL; i++) {
      char c = text.charAt(i);
      if (!(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')) {
        return false;
      }
    }
    return true;
  }

  private static boolean isKeyChar(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
  }

  private static boolean boundaryBefore(String text, int i) {
    return i == 0 || !isKeyChar(text.charAt(i - 1));
  }

  private static boolean boundaryAfter(String text, int i) {
    return i >= text.length() || !isKeyChar(text.charAt(i));
  }
}
