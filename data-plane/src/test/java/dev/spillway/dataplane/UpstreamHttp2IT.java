package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ProviderType;
import dev.spillway.config.TimeoutsConfig;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * Provider connections over TLS: HTTP/2 where the provider offers it by ALPN (streams multiplexed on one connection
 * per event loop, reset on cancel and timeout, GOAWAY honoured), HTTP/1.1 keep-alive where it does not, a private CA
 * trusted through {@code SPILLWAY_UPSTREAM_CA_FILE}, and readable errors when the certificate does not check out.
 * The node runs one event loop, so "one connection per event loop" is "one connection".
 */
@ExtendWith(NoLeaksExtension.class)
class UpstreamHttp2IT {
  static final String KEY = "sk-sw-http2000000000000000000000000000000000000";
  static final String UPSTREAM_SECRET = "sk-upstream-h2-secret-0123456789";

  /** Shared by the tests that do not count connections. */
  static FakeProvider h2;
  static FakeProvider crowd;
  static FakeProvider limited;
  static FakeProvider goingAway;
  static FakeProvider refusing;
  static FakeProvider http1;
  static FakeProvider http1Crowd;
  static FakeProvider otherHost;
  /** Accepts TCP connections (the kernel does, from the backlog) and never says a word of TLS. */
  static ServerSocket silent;
  static FakeControlPlane controlPlane;
  /** Trusts the test CA; one event loop. */
  static SpillwayNode node;
  /** Trusts only the JDK's CAs. */
  static SpillwayNode untrusting;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    h2 = FakeProvider.startHttps();
    crowd = FakeProvider.startHttps();
    limited = FakeProvider.startHttps(FakeProvider.Https.defaults().maxConcurrentStreams(5));
    goingAway = FakeProvider.startHttps();
    refusing = FakeProvider.startHttps();
    http1 = FakeProvider.startHttps(FakeProvider.Https.defaults().http1Only());
    http1Crowd = FakeProvider.startHttps(FakeProvider.Https.defaults().http1Only());
    otherHost = FakeProvider.startHttps(FakeProvider.Https.defaults().certificateFor("other.example"));
    silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("h2", ProviderType.OPENAI_COMPATIBLE, h2.baseUrl(), UPSTREAM_SECRET)
        .provider("h2-slow", ProviderType.OPENAI_COMPATIBLE, h2.baseUrl(), Map.of(),
            new TimeoutsConfig(2000, 300, 300, 5000), UPSTREAM_SECRET)
        .provider("crowd", ProviderType.OPENAI_COMPATIBLE, crowd.baseUrl(), UPSTREAM_SECRET)
        .provider("limited", ProviderType.OPENAI_COMPATIBLE, limited.baseUrl(), UPSTREAM_SECRET)
        .provider("going-away", ProviderType.OPENAI_COMPATIBLE, goingAway.baseUrl(), UPSTREAM_SECRET)
        .provider("refusing", ProviderType.OPENAI_COMPATIBLE, refusing.baseUrl(), UPSTREAM_SECRET)
        .provider("http1", ProviderType.OPENAI_COMPATIBLE, http1.baseUrl(), UPSTREAM_SECRET)
        .provider("http1-crowd", ProviderType.OPENAI_COMPATIBLE, http1Crowd.baseUrl(), UPSTREAM_SECRET)
        .provider("other-host", ProviderType.OPENAI_COMPATIBLE, otherHost.baseUrl(), UPSTREAM_SECRET)
        .provider("silent", ProviderType.OPENAI_COMPATIBLE, "https://127.0.0.1:" + silent.getLocalPort() + "/v1",
            Map.of(), new TimeoutsConfig(500, 0, 0, 5000), UPSTREAM_SECRET)
        .route("h2", "h2/m")
        .route("silent", "silent/m")
        .route("h2-timeout", "h2-slow/m")
        .route("crowd", "crowd/m")
        .route("limited", "limited/m")
        .route("going-away", "going-away/m")
        .route("refusing", "refusing/m")
        .route("http1", "http1/m")
        .route("http1-crowd", "http1-crowd/m")
        .route("other-host", "other-host/m")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("upstream-h2-it"),
        Map.of("SPILLWAY_DP_THREADS", "1", "SPILLWAY_UPSTREAM_CA_FILE", h2.caFile().toString()));
    untrusting = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("upstream-h2-it-untrusting"),
        Map.of());
    TestNodes.awaitVersion(node, 1);
    TestNodes.awaitVersion(untrusting, 1);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
    untrusting.close();
    controlPlane.close();
    silent.close();
    for (FakeProvider fake : List.of(h2, crowd, limited, goingAway, refusing, http1, http1Crowd, otherHost)) {
      fake.close();
    }
  }

  @BeforeEach
  void resetProviders() {
    node.routingHealth().clear(); // a fresh node's view: no case inherits another's cooldowns or breakers
    for (FakeProvider fake : List.of(h2, crowd, limited, goingAway, refusing, http1, http1Crowd, otherHost)) {
      fake.reset();
    }
  }

  @Test
  void sendsACompletionOverHttp2WhenTheProviderOffersIt() throws Exception {
    HttpResponse<String> response = post(node, chat("h2", "over two", false));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(NodeClient.body(response).path("choices").get(0).path("message").path("content").asString())
        .isEqualTo("Echo: over two");
    assertThat(h2.protocols()).containsExactly("h2");
    assertThat(h2.lastRequest().header("authorization")).isEqualTo("Bearer " + UPSTREAM_SECRET);
    assertThat(h2.lastRequest().header("host")).isEqualTo("127.0.0.1:" + h2.port());
    assertThat(h2.lastRequest().headers()).doesNotContainKeys("connection", "keep-alive", "transfer-encoding");
  }

  @Test
  void relaysAPacedStreamOverHttp2() throws Exception {
    h2.enqueue(FakeResponse.stream().chunkCount(4).pauseBetweenChunks(Duration.ofMillis(20)));

    HttpResponse<String> response = post(node, chat("h2", "stream please", true));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("c0 ", "c1 ", "c2 ", "c3 ").endsWith("data: [DONE]\n\n");
    assertThat(h2.protocols()).containsExactly("h2");
    assertThat(h2.completedStreams()).isEqualTo(1);
  }

  @Test
  void multiplexesConcurrentRequestsOnOneConnection() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    crowd.respondWith(FakeResponse.stream().chunkCount(2).holdAfter(0, release));

    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      responses.add(http.sendAsync(request(node, chat("crowd", "n" + i, true)), HttpResponse.BodyHandlers.ofString()));
    }
    // Every stream is open at once before any may finish.
    await().atMost(Duration.ofSeconds(10)).until(() -> crowd.requestCount() == 20);
    release.complete(null);

    for (CompletableFuture<HttpResponse<String>> response : responses) {
      HttpResponse<String> done = response.get(10, TimeUnit.SECONDS);
      assertThat(done.statusCode()).isEqualTo(200);
      assertThat(done.body()).contains("c1 ").endsWith("data: [DONE]\n\n");
    }
    assertThat(crowd.protocols()).hasSize(20).containsOnly("h2");
    assertThat(crowd.acceptedConnections()).isEqualTo(1);
  }

  @Test
  void opensAnotherConnectionOnlyWhenTheProvidersStreamLimitIsReached() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    limited.respondWith(FakeResponse.stream().chunkCount(1).holdAfter(0, release));

    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      responses.add(http.sendAsync(request(node, chat("limited", "n" + i, true)),
          HttpResponse.BodyHandlers.ofString()));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> limited.requestCount() == 20);
    release.complete(null);

    for (CompletableFuture<HttpResponse<String>> response : responses) {
      assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    // 5 streams each: 20 open streams need exactly 4 connections.
    assertThat(limited.acceptedConnections()).isEqualTo(4);
  }

  @Test
  void usesHttp1KeepAliveOverTlsWhenTheProviderOffersNothingElse() throws Exception {
    http1.enqueue(FakeResponse.chat(), FakeResponse.stream().chunkCount(2), FakeResponse.chat());

    assertThat(post(node, chat("http1", "one", false)).statusCode()).isEqualTo(200);
    HttpResponse<String> streamed = post(node, chat("http1", "two", true));
    assertThat(post(node, chat("http1", "three", false)).statusCode()).isEqualTo(200);

    assertThat(streamed.statusCode()).isEqualTo(200);
    assertThat(streamed.body()).contains("c1 ").endsWith("data: [DONE]\n\n");
    assertThat(http1.protocols()).containsExactly("http/1.1", "http/1.1", "http/1.1");
    assertThat(http1.acceptedConnections()).isEqualTo(1);
  }

  @Test
  void opensAConnectionPerConcurrentRequestWhenTheProviderChoseHttp1() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    http1Crowd.respondWith(FakeResponse.stream().chunkCount(1).holdAfter(0, release));

    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      responses.add(http.sendAsync(request(node, chat("http1-crowd", "n" + i, true)),
          HttpResponse.BodyHandlers.ofString()));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> http1Crowd.requestCount() == 5);
    release.complete(null);

    for (CompletableFuture<HttpResponse<String>> response : responses) {
      assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    assertThat(http1Crowd.protocols()).hasSize(5).containsOnly("http/1.1");
    assertThat(http1Crowd.acceptedConnections()).isEqualTo(5);
  }

  @Test
  void answers504WhenTheTlsHandshakeOutlastsTheConnectTimeout() throws Exception {
    long started = System.nanoTime();

    HttpResponse<String> response = post(node, chat("silent", "hi", false));

    assertThat(response.statusCode()).isEqualTo(504);
    JsonNode error = NodeClient.error(response);
    assertThat(error.path("code").asString()).isEqualTo("upstream_timeout");
    assertThat(error.path("message").asString()).contains("TLS handshake with 127.0.0.1 timed out after 500 ms");
    // Well before the total timeout (5 s) and Netty's own 10 s handshake limit.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void answers502NamingTheCaVariableWhenTheProvidersCertificateIsNotTrusted() throws Exception {
    HttpResponse<String> response = post(untrusting, chat("h2", "hi", false));

    assertThat(response.statusCode()).isEqualTo(502);
    JsonNode error = NodeClient.error(response);
    assertThat(error.path("code").asString()).isEqualTo("upstream_error");
    assertThat(error.path("type").asString()).isEqualTo("api_error");
    assertThat(error.path("message").asString())
        .contains("h2", "certificate is not trusted", "SPILLWAY_UPSTREAM_CA_FILE");
    assertThat(response.body()).doesNotContain(UPSTREAM_SECRET, KEY);
    assertThat(h2.requestCount()).isZero();
  }

  @Test
  void answers502WhenTheCertificateIsForAnotherHost() throws Exception {
    HttpResponse<String> response = post(node, chat("other-host", "hi", false));

    assertThat(response.statusCode()).isEqualTo(502);
    JsonNode error = NodeClient.error(response);
    assertThat(error.path("code").asString()).isEqualTo("upstream_error");
    assertThat(error.path("message").asString()).contains("certificate is not valid for this host", "127.0.0.1");
    assertThat(response.body()).doesNotContain(UPSTREAM_SECRET, KEY);
    assertThat(otherHost.requestCount()).isZero();
  }

  @Test
  void resetsOnlyTheStreamWhenTheClientHangsUp() throws Exception {
    // The shared connection exists before the test, so a new one would show.
    assertThat(post(node, chat("h2", "warm up", false)).statusCode()).isEqualTo(200);
    int connections = h2.acceptedConnections();
    CompletableFuture<Void> never = new CompletableFuture<>();
    h2.enqueue(FakeResponse.stream().chunkCount(3).holdAfter(1, never));
    String body = chat("h2", "hi", true);

    String line = TestNodes.readUntilThenHangUp(node, KEY, body, "c0 ");
    assertThat(line).contains("c0 ");

    await().atMost(Duration.ofSeconds(5)).until(() -> h2.resetStreams() == 1 && h2.abandonedStreams() == 1);
    assertThat(h2.completedStreams()).isZero();
    assertThat(post(node, chat("h2", "still there?", false)).statusCode()).isEqualTo(200);
    assertThat(h2.acceptedConnections()).isEqualTo(connections);
  }

  @Test
  void answers504AndResetsTheStreamWhenTheFirstByteIsLate() throws Exception {
    h2.enqueue(FakeResponse.hang());
    long started = System.nanoTime();

    HttpResponse<String> response = post(node, chat("h2-timeout", "hi", false));

    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(NodeClient.error(response).path("code").asString()).isEqualTo("upstream_timeout");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    assertThat(h2.protocols()).containsExactly("h2");
    await().atMost(Duration.ofSeconds(5)).until(() -> h2.resetStreams() == 1);
    int connections = h2.acceptedConnections();
    assertThat(post(node, chat("h2", "next", false)).statusCode()).isEqualTo(200);
    assertThat(h2.acceptedConnections()).as("the timeout reset one stream, not the connection")
        .isEqualTo(connections);
  }

  @Test
  void opensANewConnectionAfterTheProviderSaysGoAway() throws Exception {
    goingAway.enqueue(FakeResponse.chat().goAwayFirst());

    HttpResponse<String> first = post(node, chat("going-away", "one", false));
    HttpResponse<String> second = post(node, chat("going-away", "two", false));

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(goingAway.protocols()).containsExactly("h2", "h2");
    assertThat(goingAway.acceptedConnections()).isEqualTo(2);
    // The retired connection is closed once its last stream has ended.
    await().atMost(Duration.ofSeconds(5)).until(() -> goingAway.openConnections() == 1);
  }

  @Test
  void sendsARequestTheProviderNeverProcessedAgainOnANewConnection() throws Exception {
    refusing.enqueue(FakeResponse.refuseWithGoAway());

    HttpResponse<String> response = post(node, chat("refusing", "again", false));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(NodeClient.body(response).path("choices").get(0).path("message").path("content").asString())
        .isEqualTo("Echo: again");
    assertThat(response.headers().firstValue("x-spillway-attempts")).contains("1");
    assertThat(refusing.requestCount()).isEqualTo(2);
    assertThat(refusing.acceptedConnections()).isEqualTo(2);
  }

  private static HttpResponse<String> post(SpillwayNode target, String body) throws Exception {
    return http.send(request(target, body), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest request(SpillwayNode target, String body) {
    return HttpRequest.newBuilder(TestNodes.uri(target, "/v1/chat/completions"))
        .header("content-type", "application/json")
        .header("Authorization", "Bearer " + KEY)
        .timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private static String chat(String model, String text, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + text + "\"}]}";
  }
}
