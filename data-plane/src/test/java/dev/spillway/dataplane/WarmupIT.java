package dev.spillway.dataplane;

import dev.spillway.config.ProviderAddressPolicy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.exchange.ProviderAdapters;
import dev.spillway.dataplane.exchange.ProxyServices;
import dev.spillway.dataplane.metrics.MetricsText;
import dev.spillway.dataplane.mock.MockUpstream;
import dev.spillway.dataplane.server.ClientLimits;
import dev.spillway.dataplane.upstream.UpstreamClient;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.warmup.Warmup;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The warm-up runs every common kind of request through the real request path without a failure, leaves nothing
 * behind that a client could reach, and is not counted in the node's metrics.
 */
@ExtendWith(NoLeaksExtension.class)
class WarmupIT {
  private static final String KEY = "sk-sw-warm0000000000000000000000000000000000";

  @Test
  void sendsEveryKindOfRequestThroughTheRequestPathWithoutAFailure() {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    UpstreamClient upstream = new UpstreamClient(NioSocketChannel.class,
        new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(NioDatagramChannel.class)), 16,
        null, new ProviderAddressPolicy(true));
    try {
      ProxyServices services = new ProxyServices(ProviderAdapters.all(new UpstreamRequest.Timeouts(5000, 5000, 5000,
          10000)), upstream, new MockUpstream());

      Warmup.Result result = Warmup.run(group, NioServerSocketChannel.class, NioSocketChannel.class, services,
          new ClientLimits(1 << 20, 16384, 60, Duration.ofSeconds(30), 100), Duration.ofMillis(1500));

      assertThat(result.requests()).as("requests of the mix, each answered").isGreaterThan(100);
      assertThat(result.failed()).isZero();
      assertThat(result.took()).isLessThan(Duration.ofSeconds(10));
    } finally {
      upstream.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void aWarmedUpNodeServesItsOwnConfigAndCountsNoneOfTheWarmUp() throws Exception {
    try (FakeProvider provider = FakeProvider.start(); FakeControlPlane controlPlane = FakeControlPlane.start()) {
      controlPlane.publish(Snapshots.builder()
          .team("t1")
          .key("t1", KEY)
          .provider("fake", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), "sk-upstream-warm-0000000000")
          .route("chat", "fake/m")
          .build());
      try (SpillwayNode node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("warm-it"),
          Map.of("SPILLWAY_DP_WARMUP_SECONDS", "1"))) {
        TestNodes.awaitVersion(node, 1);
        HttpClient http = HttpClient.newHttpClient();

        String metrics = http.send(HttpRequest.newBuilder(TestNodes.adminUri(node, "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        HttpResponse<String> models = http.send(HttpRequest.newBuilder(TestNodes.uri(node, "/v1/models"))
            .header("authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(MetricsText.value(metrics, "spillway_request_duration_seconds_count", "endpoint",
            "/v1/chat/completions")).isZero();
        assertThat(MetricsText.value(metrics, "spillway_request_duration_seconds_count", "endpoint",
            "/v1/messages")).isZero();
        assertThat(models.statusCode()).isEqualTo(200);
        assertThat(models.body()).contains("\"chat\"").doesNotContain("warmup");
        assertThat(provider.requests()).isEmpty();
      }
    }
  }
}
