package dev.spillway.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import com.knuddels.jtokkit.api.EncodingType;
import dev.spillway.dataplane.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.node.ObjectNode;

/** The local token estimate behind count_tokens for providers that cannot count. */
class TokenEstimatorTest {
  static ObjectNode json(String text) {
    return (ObjectNode) Json.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @CsvSource({"gpt-4o-mini, O200K_BASE", "gpt-4.1, O200K_BASE", "o3-mini, O200K_BASE", "gpt-5, O200K_BASE",
      "openai/gpt-4o, O200K_BASE", "gpt-4-turbo, CL100K_BASE", "gpt-3.5-turbo, CL100K_BASE",
      "claude-sonnet-4-5, CL100K_BASE", "mock-1, CL100K_BASE"})
  void picksTheVocabularyOfTheModelFamily(String model, EncodingType expected) {
    assertThat(TokenEstimator.encodingFor(model)).isEqualTo(expected);
  }

  @Test
  void countsOpenAisMessageFramingTextToolsAndImages() {
    // "Hello, world" is 3 tokens; "user" 1; framing 3 per message and 3 for the reply.
    long plain = TokenEstimator.count(json("{\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world\"}]}"),
        "gpt-4o");
    long withImage = TokenEstimator.count(json("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        + "\"text\":\"Hello, world\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}}]}]}"),
        "gpt-4o");
    long withTool = TokenEstimator.count(json("{\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world\"}],"
        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":{\"type\":\"object\"}}}]}"),
        "gpt-4o");

    assertThat(plain).isEqualTo(10);
    assertThat(withImage).isEqualTo(plain + TokenEstimator.IMAGE_TOKENS);
    assertThat(withTool).isGreaterThan(plain + 5);
  }

  @Test
  void countsOffTheEventLoopOnItsOwnThread() throws Exception {
    String[] thread = new String[1];
    long tokens = TokenEstimator.estimate(json("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":\"<|endoftext|> is just text here\"}]}"), "claude-x")
        .whenComplete((n, e) -> thread[0] = Thread.currentThread().getName())
        .get(5, TimeUnit.SECONDS);

    assertThat(tokens).isGreaterThan(10);
    assertThat(thread[0]).isIn("spillway-token-estimator", Thread.currentThread().getName());
  }
}
