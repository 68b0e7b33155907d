package dev.spillway.dataplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.config.NodeConfigCompiler;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.exchange.Admission;
import dev.spillway.dataplane.exchange.CacheResult;
import dev.spillway.dataplane.exchange.CacheLookup;
import dev.spillway.dataplane.exchange.ExchangePipeline;
import dev.spillway.dataplane.exchange.ProviderAdapters;
import dev.spillway.dataplane.exchange.Outcome;
import dev.spillway.dataplane.exchange.ProxyServices;
import dev.spillway.dataplane.metrics.NodeMetrics;
import dev.spillway.dataplane.mock.MockUpstream;
import dev.spillway.dataplane.upstream.Upstream;
import dev.spillway.dataplane.upstream.UpstreamCall;
import dev.spillway.dataplane.upstream.UpstreamFailure;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import dev.spillway.testsupport.Snapshots;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The seams of the exchange pipeline that later features fill — admit, cache lookup, settle — on the real client
 * pipeline (an {@link EmbeddedChannel}), with the in-process mock provider and a scripted network provider.
 */
class ExchangeStagesTest {
  private static final String KEY = "sk-sw-stages00000000000000000000000000000000";
  private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]%s}";

  private final ConfigHolder config = new ConfigHolder();
  private final List<Outcome> settled = new ArrayList<>();
  private final AtomicInteger mockCalls = new AtomicInteger();
  private final AtomicInteger networkCalls = new AtomicInteger();
  private final AtomicInteger cancels = new AtomicInteger();
  /** What the scripted network provider does with a request. */
  private Upstream network = (loop, request, listener) -> {
    throw new AssertionError("no network call expected");
  };

  ExchangeStagesTest() {
    config.swap(new NodeConfigCompiler(Snapshots.NODE_TOKEN).compile(Snapshots.builder()
        .team("t")
        .key("t", KEY)
        .provider("mock", ProviderType.MOCK, null)
        .provider("net", ProviderType.OPENAI_COMPATIBLE, "http://127.0.0.1:9/v1", "sk-net-0000000000000000")
        .route("demo", "mock/m")
        .route("remote", "net/r")
        .build(), "stages"));
  }

  private EmbeddedChannel channel(Admission admission, CacheLookup cache) {
    MockUpstream mock = new MockUpstream();
    Upstream countingMock = (loop, request, listener) -> {
      mockCalls.incrementAndGet();
      return mock.call(loop, request, listener);
    };
    Upstream countingNetwork = (loop, request, listener) -> {
      networkCalls.incrementAndGet();
      return network.call(loop, request, listener);
    };
    ProxyServices services = new ProxyServices(ProviderAdapters.all(new UpstreamRequest.Timeouts(1000, 1000, 1000,
        1000)), countingNetwork, countingMock);
    ExchangePipeline pipeline = new ExchangePipeline(config, services, admission, cache, settled::add);
    EmbeddedChannel ch = new EmbeddedChannel();
    new GatewayInitializer(new Endpoints(config, pipeline, NodeMetrics.NONE), 64 * 1024, 8192, 60).initChannel(ch);
    return ch;
  }

  private static void post(EmbeddedChannel ch, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ch.writeInbound(Unpooled.wrappedBuffer(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + KEY + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII), bytes));
    for (int i = 0; i < 20 && ch.hasPendingTasks(); i++) {
      ch.runPendingTasks();
    }
  }

  private static FullHttpResponse response(EmbeddedChannel server) {
    EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
    client.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/"));
    client.releaseOutbound();
    ByteBuf out;
    while ((out = server.readOutbound()) != null) {
      client.writeInbound(out);
    }
    FullHttpResponse response = client.readInbound();
    client.finishAndReleaseAll();
    assertThat(response).as("a response").isNotNull();
    return response;
  }

  private static String text(FullHttpResponse response) {
    return response.content().toString(StandardCharsets.UTF_8);
  }

  @Test
  void settlesOnceWithTheProvidersUsageAfterAnAnswer() {
    EmbeddedChannel ch = channel(Admission.ADMIT_ALL, CacheLookup.NONE);

    post(ch, CHAT.formatted("demo", ""));
    FullHttpResponse response = response(ch);

    assertThat(response.status().code()).isEqualTo(200);
    assertThat(settled).singleElement().satisfies(outcome -> {
      assertThat(outcome.error()).isNull();
      assertThat(outcome.clientClosed()).isFalse();
      assertThat(outcome.servedBy().provider().name()).isEqualTo("mock");
      assertThat(outcome.attempts()).isEqualTo(1);
      assertThat(outcome.usage().inputTokens()).isPositive();
      assertThat(outcome.request().requestId()).isEqualTo(response.headers().get("x-request-id"));
      assertThat(outcome.request().plan().routeName()).isEqualTo("demo");
      assertThat(outcome.request().caller().key().team().id()).isEqualTo("t");
    });
    response.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void aRefusalFromAdmissionIsAnsweredAndNoProviderIsCalled() {
    EmbeddedChannel ch = channel(request -> {
      throw GatewayError.BUDGET_EXCEEDED.exception("the team's monthly budget is spent");
    }, CacheLookup.NONE);

    post(ch, CHAT.formatted("demo", ""));
    FullHttpResponse response = response(ch);

    assertThat(response.status().code()).isEqualTo(429);
    assertThat(text(response)).contains("\"code\":\"budget_exceeded\"", "\"type\":\"insufficient_quota\"");
    assertThat(mockCalls).hasValue(0);
    assertThat(settled).as("nothing was admitted, so nothing settles").isEmpty();
    response.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void theReservationOfAnAdmittedRequestReachesSettlement() {
    Admission.Reservation reservation = new Admission.Reservation() {};
    EmbeddedChannel ch = channel(request -> CompletableFuture.completedFuture(reservation), CacheLookup.NONE);

    post(ch, CHAT.formatted("demo", ""));
    response(ch).release();

    assertThat(settled).singleElement().extracting(Outcome::reservation).isSameAs(reservation);
    ch.finishAndReleaseAll();
  }

  @Test
  void anAdmissionThatAnswersLaterHoldsTheRequestUntilItDoes() {
    CompletableFuture<Admission.Reservation> later = new CompletableFuture<>();
    Admission.Reservation reservation = new Admission.Reservation() {};
    EmbeddedChannel ch = channel(request -> later, CacheLookup.NONE);

    post(ch, CHAT.formatted("demo", ""));
    ch.runPendingTasks();
    assertThat((Object) ch.readOutbound()).as("no answer before admission").isNull();
    assertThat(mockCalls).hasValue(0);

    later.complete(reservation);
    ch.runPendingTasks();
    FullHttpResponse response = response(ch);

    assertThat(response.status().code()).isEqualTo(200);
    assertThat(settled).singleElement().extracting(Outcome::reservation).isSameAs(reservation);
    response.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void aLaterRefusalIsAnsweredWithItsHeaders() {
    CompletableFuture<Admission.Reservation> later = new CompletableFuture<>();
    EmbeddedChannel ch = channel(request -> later, CacheLookup.NONE);

    post(ch, CHAT.formatted("demo", ""));
    later.completeExceptionally(GatewayError.RATE_LIMIT_EXCEEDED.exception("key 'k' rpm limit of 60 reached")
        .withHeaders(java.util.Map.of("retry-after", "7")));
    ch.runPendingTasks();
    FullHttpResponse response = response(ch);

    assertThat(response.status().code()).isEqualTo(429);
    assertThat(response.headers().get("retry-after")).isEqualTo("7");
    assertThat(text(response)).contains("rpm limit of 60 reached");
    assertThat(mockCalls).hasValue(0);
    assertThat(settled).isEmpty();
    response.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void aCacheHitIsAnsweredWithoutAProviderAndSettledOnce() {
    tools.jackson.databind.node.ObjectNode cached = dev.spillway.dataplane.json.Json.object();
    cached.put("id", "chatcmpl-old").put("object", "chat.completion").put("model", "echo");
    cached.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop").putObject("message")
        .put("role", "assistant").put("content", "from the cache");
    EmbeddedChannel ch = channel(Admission.ADMIT_ALL, (request, headers) -> CompletableFuture.completedFuture(
        new CacheResult(CacheResult.HIT_EXACT, null, new CacheResult.Hit(cached, Usage.NONE, "mock", "echo"),
            null)));

    post(ch, CHAT.formatted("demo", ""));
    FullHttpResponse response = response(ch);

    assertThat(response.status().code()).isEqualTo(200);
    assertThat(response.headers().get("x-spillway-cache")).isEqualTo("hit-exact");
    assertThat(text(response)).contains("\"content\":\"from the cache\"").doesNotContain("chatcmpl-old");
    assertThat(mockCalls).hasValue(0);
    assertThat(settled).singleElement().satisfies(outcome -> {
      assertThat(outcome.servedBy()).isNull();
      assertThat(outcome.attempts()).isZero();
    });
    response.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void aLookupThatCompletesLaterOnAnotherThreadResumesTheRequestOnItsEventLoop() throws Exception {
    CompletableFuture<CacheResult> lookup = new CompletableFuture<>();
    EmbeddedChannel ch = channel(Admission.ADMIT_ALL, (request, headers) -> lookup);

    post(ch, CHAT.formatted("demo", ""));
    assertThat((Object) ch.readOutbound()).as("nothing is answered while the lookup runs").isNull();
    Thread other = new Thread(() -> lookup.complete(CacheResult.OFF));
    other.start();
    other.join();
    for (int i = 0; i < 20 && ch.hasPendingTasks(); i++) {
      ch.runPendingTasks();
    }
    FullHttpResponse response = response(ch);

    assertThat(response.status().code()).isEqualTo(200);
    assertThat(mockCalls).as("a miss goes to the provider").hasValue(1);
    response.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void settlesOnceWithTheErrorWhenEveryAttemptFails() {
    network = (loop, request, listener) -> {
      request.body().release();
      loop.execute(() -> listener.onFailure(new UpstreamFailure(UpstreamFailure.Kind.CONNECT, "connection refused",
          true)));
      return call();
    };
    EmbeddedChannel ch = channel(Admission.ADMIT_ALL, CacheLookup.NONE);

    post(ch, CHAT.formatted("remote", ""));
    FullHttpResponse response = response(ch);

    assertThat(response.status().code()).isEqualTo(502);
    assertThat(settled).singleElement().satisfies(outcome -> {
      assertThat(outcome.error()).isEqualTo(GatewayError.UPSTREAM_ERROR);
      assertThat(outcome.servedBy()).isNull();
      assertThat(outcome.usage()).isEqualTo(Usage.NONE);
    });
    response.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void settlesOnceAndCancelsTheProviderWhenTheClientLeavesMidStream() {
    network = (loop, request, listener) -> {
      request.body().release();
      loop.execute(() -> {
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set("content-type", "text/event-stream");
        listener.onHead(head);
        listener.onContent(Unpooled.copiedBuffer("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"he\"}}]}\n\n", StandardCharsets.UTF_8));
      });
      return call();
    };
    EmbeddedChannel ch = channel(Admission.ADMIT_ALL, CacheLookup.NONE);

    post(ch, CHAT.formatted("remote", ",\"stream\":true"));
    ch.close();
    ch.runPendingTasks();

    assertThat(cancels).hasValue(1);
    assertThat(settled).singleElement().satisfies(outcome -> assertThat(outcome.clientClosed()).isTrue());
    ch.finishAndReleaseAll();
  }

  private UpstreamCall call() {
    return new UpstreamCall() {
      @Override
      public void cancel() {
        cancels.incrementAndGet();
      }

      @Override
      public void setReading(boolean reading) {}
    };
  }
}
