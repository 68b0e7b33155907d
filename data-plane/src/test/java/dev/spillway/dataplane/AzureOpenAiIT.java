package dev.spillway.dataplane;

import static dev.spillway.dataplane.NodeClient.body;
import static dev.spillway.dataplane.NodeClient.events;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.RecordedRequest;
import dev.spillway.testsupport.Snapshots;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Azure OpenAI: deployment URLs, {@code api-version}, the {@code api-key} header, for every OpenAI API. */
@ExtendWith(NoLeaksExtension.class)
class AzureOpenAiIT {
  static final String KEY = "sk-sw-azure00000000000000000000000000000000000";
  static final String AZURE_KEY = "azure-secret-key-0123456789abcdef";

  static FakeProvider provider;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static NodeClient client;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("azure", ProviderType.AZURE_OPENAI, provider.origin(), AZURE_KEY)
        .provider("azure-pinned", ProviderType.AZURE_OPENAI, provider.origin(),
            Map.of("deployment", "prod-gpt4o", "api_version", "2025-01-01-preview"), null, AZURE_KEY)
        .route("chat", "azure/gpt-4o-mini")
        .route("pinned", "azure-pinned/gpt-4o")
        .route("embed", "azure/text-embedding-3-large")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("azure-it"), Map.of());
    TestNodes.awaitVersion(node, 1);
    client = new NodeClient(node, KEY);
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    provider.close();
  }

  @BeforeEach
  void reset() {
    node.routingHealth().clear(); // a fresh node's view: no case inherits another's cooldowns or breakers
    provider.reset();
  }

  @Test
  void callsTheDeploymentUrlWithTheDefaultApiVersionAndTheApiKeyHeader() throws Exception {
    HttpResponse<String> response = client.post("/v1/chat/completions",
        "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    assertThat(response.statusCode()).isEqualTo(200);
    RecordedRequest sent = provider.lastRequest();
    assertThat(sent.uri()).isEqualTo("/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21");
    assertThat(sent.header("api-key")).isEqualTo(AZURE_KEY);
    assertThat(sent.header("authorization")).isNull();
    assertThat(body(response).path("choices").get(0).path("message").path("content").asString())
        .isEqualTo("Echo: hi");
  }

  @Test
  void usesTheConfiguredDeploymentAndApiVersion() throws Exception {
    provider.enqueue(FakeResponse.stream());

    HttpResponse<String> response = client.post("/v1/chat/completions",
        "{\"model\":\"pinned\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(provider.lastRequest().uri())
        .isEqualTo("/openai/deployments/prod-gpt4o/chat/completions?api-version=2025-01-01-preview");
    assertThat(provider.lastRequest().json().path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(response.body()).doesNotContain("\"usage\"").endsWith("data: [DONE]\n\n");
  }

  @Test
  void servesEmbeddingsAndCompletionsFromTheDeployment() throws Exception {
    HttpResponse<String> embeddings = client.post("/v1/embeddings",
        "{\"model\":\"embed\",\"input\":\"hi\",\"encoding_format\":\"base64\"}");
    String embeddingsUri = provider.lastRequest().uri();
    HttpResponse<String> completions = client.post("/v1/completions", "{\"model\":\"chat\",\"prompt\":\"hi\"}");

    assertThat(embeddings.statusCode()).isEqualTo(200);
    assertThat(embeddingsUri).isEqualTo("/openai/deployments/text-embedding-3-large/embeddings?api-version=2024-10-21");
    assertThat(body(embeddings).path("data").get(0).path("embedding").isString()).isTrue();
    assertThat(completions.statusCode()).isEqualTo(200);
    assertThat(provider.lastRequest().uri()).isEqualTo("/openai/deployments/gpt-4o-mini/completions?api-version=2024-10-21");
    assertThat(provider.lastRequest().header("api-key")).isEqualTo(AZURE_KEY);
  }

  @Test
  void translatesTheResponsesApiToTheDeploymentsChatEndpoint() throws Exception {
    provider.enqueue(FakeResponse.stream());

    HttpResponse<String> response = client.post("/v1/responses", "{\"model\":\"chat\",\"input\":\"hi\",\"stream\":true}");

    assertThat(provider.lastRequest().uri()).isEqualTo("/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21");
    List<NodeClient.Event> events = events(response.body());
    NodeClient.Event last = events.get(events.size() - 1);
    assertThat(last.event()).isEqualTo("response.completed");
    assertThat(last.json().path("response").path("usage").path("input_tokens").asInt()).isEqualTo(12);
  }
}
