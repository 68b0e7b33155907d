package dev.spillway.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.controlplane.common.ApiException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.HttpStatus;

class UsageBatchReaderTest {
  private static final String ORG = "00000000-0000-0000-0000-000000000001";
  private static final String TEAM = "8f0c6f7e-3a52-4a59-9d55-0a8f0a3c1b11";
  private static final String KEY = "2b7e1516-28ae-4d2a-a6ab-f7158809cf4f";

  static String line(String requestId) {
    return """
        {"request_id":"%s","occurred_at":"2026-12-07T13:31:00.123456Z","node_id":"host:8000",\
        "org_id":"%s","team_id":"%s","key_id":"%s",\
        "route":"demo","provider":"openai","model":"gpt-4o-mini","endpoint":"chat_completions",\
        "status_code":200,"error_code":null,\
        "input_tokens":10,"output_tokens":20,"cached_input_tokens":3,"reasoning_tokens":4,\
        "cost_usd":"0.000012345","unpriced":false,"usage_source":"provider",\
        "cache_status":null,"cache_similarity":null,"attempts":1,"latency_ms":12,"ttft_ms":5,\
        "streamed":true,"client_closed":false,"shadow_refusal":null}""".formatted(requestId, ORG, TEAM, KEY);
  }

  private static List<UsageEvent> read(String body) throws IOException {
    return UsageBatchReader.read(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), false);
  }

  private static ApiException refusal(String body) {
    try {
      read(body);
    } catch (ApiException e) {
      return e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new AssertionError("accepted: " + body);
  }

  @Test
  void readsEveryFieldOfTheContract() throws IOException {
    UsageEvent e = read(line("req_1") + "\n").get(0);

    assertThat(e).isEqualTo(new UsageEvent("req_1", Instant.parse("2026-12-07T13:31:00.123456Z"), "host:8000",
        UUID.fromString(ORG), UUID.fromString(TEAM), UUID.fromString(KEY), "demo", "openai", "gpt-4o-mini",
        "chat_completions", 200, null, 10, 20, 3, 4, new BigDecimal("0.000012345"), false, "provider", null, null, 1,
        12, 5, true, false, null, BigDecimal.ZERO, null));
  }

  @Test
  void readsWhatTheCacheStageReports() throws IOException {
    UsageEvent e = read(line("hit").replace("\"cache_status\":null,\"cache_similarity\":null",
        "\"cache_status\":\"hit-semantic\",\"cache_similarity\":0.93").replace("\"shadow_refusal\":null",
        "\"shadow_refusal\":null,\"cache_saved_usd\":\"0.004200000\"")).get(0);

    assertThat(e.cacheStatus()).isEqualTo("hit-semantic");
    assertThat(e.cacheSimilarity()).isEqualTo(0.93f);
    assertThat(e.cacheSavedUsd()).isEqualByComparingTo("0.0042");
  }

  @Test
  void takesDefaultsForAbsentOptionalFieldsAndIgnoresUnknownOnes() throws IOException {
    UsageEvent e = read("""
        {"request_id":"r","occurred_at":"2026-12-07T13:31:00+01:00","org_id":"%s","endpoint":"embeddings",\
        "status_code":429,"shadow_refusal":"rate_limit: key rpm 60","unpriced":true,"future_field":{"x":1}}"""
        .formatted(ORG)).get(0);

    assertThat(e.occurredAt()).isEqualTo(Instant.parse("2026-12-07T12:31:00Z"));
    assertThat(e.teamId()).isNull();
    assertThat(e.keyId()).isNull();
    assertThat(e.provider()).isNull();
    assertThat(e.inputTokens()).isZero();
    assertThat(e.attempts()).isEqualTo(1);
    assertThat(e.costUsd()).isEqualByComparingTo("0");
    assertThat(e.cacheSavedUsd()).isEqualByComparingTo("0");
    assertThat(e.unpriced()).isTrue();
    assertThat(e.shadowRefusal()).isEqualTo("rate_limit: key rpm 60");
    assertThat(e.latencyMs()).isNull();
  }

  @Test
  void skipsBlankLinesAndCountsLinesForMessages() {
    ApiException e = refusal(line("a") + "\n\n" + line("b").replace("\"input_tokens\":10", "\"input_tokens\":-1")
        + "\n");

    assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(e.getMessage()).isEqualTo("line 3: input_tokens: must be >= 0 (got -1)");
    assertThat(e.field()).isEqualTo("input_tokens");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "request_id   | \"request_id\":\"req_x\",         | ''",
      "occurred_at  | \"occurred_at\":\"2026-12-07T13:31:00.123456Z\" | \"occurred_at\":\"yesterday\"",
      "org_id       | \"org_id\":\"" + ORG + "\"       | \"org_id\":null",
      "team_id      | \"team_id\":\"" + TEAM + "\"     | \"team_id\":\"not-a-uuid\"",
      "endpoint     | \"endpoint\":\"chat_completions\" | \"endpoint\":7",
      "status_code  | \"status_code\":200              | \"status_code\":\"200\"",
      "status_code  | \"status_code\":200              | \"status_code\":42",
      "output_tokens | \"output_tokens\":20            | \"output_tokens\":1.5",
      "output_tokens | \"output_tokens\":20            | \"output_tokens\":3000000000",
      "cost_usd     | \"cost_usd\":\"0.000012345\"     | \"cost_usd\":\"12,5\"",
      "cost_usd     | \"cost_usd\":\"0.000012345\"     | \"cost_usd\":\"0.0000000001\"",
      "cost_usd     | \"cost_usd\":\"0.000012345\"     | \"cost_usd\":\"-1\"",
      "usage_source | \"usage_source\":\"provider\"    | \"usage_source\":\"guessed\"",
      "streamed     | \"streamed\":true                | \"streamed\":\"yes\"",
      "model        | \"model\":\"gpt-4o-mini\"        | \"model\":\"a\\u0000b\""})
  void refusesAMalformedFieldNamingLineAndField(String field, String good, String bad) {
    String broken = line("req_x").replace(good, bad);
    assertThat(broken).as("fixture").isNotEqualTo(line("req_x"));

    ApiException e = refusal(line("ok") + "\n" + broken + "\n");

    assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(e.field()).isEqualTo(field);
    assertThat(e.getMessage()).startsWith("line 2: " + field + ": ");
  }

  @Test
  void refusesALineThatIsNotAJsonObject() {
    ApiException notJson = refusal(line("a") + "\n{\"request_id\": \n");
    ApiException array = refusal("[1, 2]\n");
    ApiException twoObjects = refusal(line("a") + " " + line("b") + "\n");

    assertThat(notJson.getMessage()).startsWith("line 2: is not valid JSON");
    assertThat(notJson.field()).isNull();
    assertThat(array.getMessage()).isEqualTo("line 1: is not a JSON object");
    assertThat(twoObjects.getMessage()).startsWith("line 1: is not valid JSON");
  }

  @Test
  void readsGzip() throws IOException {
    byte[] body = gzip((line("g1") + "\n" + line("g2") + "\n").getBytes(StandardCharsets.UTF_8));

    List<UsageEvent> events = UsageBatchReader.read(new ByteArrayInputStream(body), true);

    assertThat(events).extracting(UsageEvent::requestId).containsExactly("g1", "g2");
  }

  @Test
  void refusesABodyThatIsNotGzipWhenItSaysItIs() {
    assertThatThrownBy(() -> UsageBatchReader.read(new ByteArrayInputStream(line("a").getBytes(
        StandardCharsets.UTF_8)), true))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
          assertThat(e.getMessage()).contains("gzip");
        });
  }

  @Test
  void refusesMoreLinesThanTheLimit() {
    String ok = line("x") + "\n";
    ApiException e = refusal(ok.repeat(UsageBatchReader.MAX_LINES + 1));

    assertThat(e.status()).isEqualTo(HttpStatus.PAYLOAD_TOO_LARGE);
    assertThat(e.getMessage()).contains(String.valueOf(UsageBatchReader.MAX_LINES));
  }

  @Test
  void acceptsExactlyTheLineLimit() throws IOException {
    assertThat(read((line("x") + "\n").repeat(UsageBatchReader.MAX_LINES))).hasSize(UsageBatchReader.MAX_LINES);
  }

  @Test
  void stopsReadingAGzipBombAtTheSizeLimit() throws IOException {
    // 65 MiB of blank lines: no event, so only the size limit can stop it; gzipped it is about 64 KiB.
    byte[] bomb = gzippedBlankLines(UsageBatchReader.MAX_BYTES + (1 << 20));
    assertThat(bomb.length).isLessThan(1 << 20);

    assertThatThrownBy(() -> UsageBatchReader.read(new ByteArrayInputStream(bomb), true))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status()).isEqualTo(HttpStatus.PAYLOAD_TOO_LARGE);
          assertThat(e.getMessage()).contains("64 MiB");
        });
  }

  @Test
  void refusesBytesThatAreNotUtf8() {
    byte[] body = ("{\"request_id\":\"caf\u00e9\"}\n").getBytes(StandardCharsets.ISO_8859_1);

    assertThatThrownBy(() -> UsageBatchReader.read(new ByteArrayInputStream(body), false))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).isEqualTo(
            "line 1: is not UTF-8"));
  }

  /** Lines of spaces, {@code bytes} in all, gzipped (without holding them in memory). */
  static byte[] gzippedBlankLines(long bytes) throws IOException {
    return gzip(new InputStream() {
      long left = bytes;

      @Override
      public int read() {
        return left-- > 0 ? (left % 1024 == 0 ? '\n' : ' ') : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        for (int i = 0; i < n; i++) {
          b[off + i] = (byte) read();
        }
        return n;
      }
    });
  }

  static byte[] gzip(byte[] data) throws IOException {
    return gzip(new ByteArrayInputStream(data));
  }

  static byte[] gzip(InputStream data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      data.transferTo(gz);
    }
    return out.toByteArray();
  }
}
