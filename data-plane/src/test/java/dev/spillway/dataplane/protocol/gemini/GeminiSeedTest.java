package dev.spillway.dataplane.protocol.gemini;

import static dev.spillway.dataplane.protocol.ProviderGolden.CLOCK;
import static dev.spillway.dataplane.protocol.ProviderGolden.JSON;
import static dev.spillway.dataplane.protocol.ProviderGolden.TIMEOUTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.protocol.ProviderGolden;
import dev.spillway.dataplane.provider.ProviderRuntime;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** OpenAI takes 64-bit seeds, Gemini 32-bit ones: a larger seed is a 400 naming it, not a crash. */
class GeminiSeedTest {
  private final GeminiAdapter adapter = new GeminiAdapter(TIMEOUTS, CLOCK, () -> "chatcmpl-test",
      ProviderGolden.counter("call_t"));
  private final ProviderRuntime provider = ProviderGolden.runtime(ProviderType.GEMINI, "http://127.0.0.1:9",
      Map.of(), "key");

  private static ObjectNode chat(String seed) {
    return (ObjectNode) JSON.readTree("{\"model\":\"m\",\"seed\":" + seed
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  }

  @Test
  void sendsA32BitSeed() {
    UpstreamRequest request = adapter.chat(provider, "gemini-2.5-flash", ProviderGolden.call(chat("-2147483648")));
    try {
      assertThat(JSON.readTree(request.body().toString(StandardCharsets.UTF_8)).path("generationConfig")
          .path("seed").asLong()).isEqualTo(Integer.MIN_VALUE);
    } finally {
      request.body().release();
    }
  }

  @Test
  void refusesALargerSeedNamingIt() {
    assertThatThrownBy(() -> adapter.chat(provider, "gemini-2.5-flash", ProviderGolden.call(chat("3000000000"))))
        .isInstanceOfSatisfying(GatewayException.class, e -> {
          assertThat(e.error()).isEqualTo(GatewayError.INVALID_REQUEST);
          assertThat(e.param()).isEqualTo("seed");
          assertThat(e.getMessage()).contains("for Gemini");
        });
  }
}
