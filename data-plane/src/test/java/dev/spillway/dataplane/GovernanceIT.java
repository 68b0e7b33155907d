package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.config.OnUnreachable;
import dev.spillway.config.ProviderType;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * Budgets and rate limits on one node, from leases a (fake) control plane grants by the rule of
 * docs/governance.md: what is refused, how, with which headers; shadow mode; and what a node does while the control
 * plane cannot be reached. The same across several nodes and the real control plane is tested end to end.
 */
@ExtendWith(NoLeaksExtension.class)
class GovernanceIT {
  static final String RPM_KEY = "sk-sw-gov-rpm-000000000000000000000000000000";
  static final String BUDGET_KEY = "sk-sw-gov-budget-00000000000000000000000000";
  static final String SHADOW_KEY = "sk-sw-gov-shadow-00000000000000000000000000";
  static final String CONCURRENT_KEY = "sk-sw-gov-concurrent-0000000000000000000000";
  static final String OPEN_KEY = "sk-sw-gov-failopen-000000000000000000000000";
  static final String FREE_KEY = "sk-sw-gov-free-00000000000000000000000000000";
  static final String CLOSED_KEY = "sk-sw-gov-failclosed-0000000000000000000000";
  static final String CHAT = "{\"model\":\"gpt\",\"max_tokens\":%d,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]%s}";

  static FakeProvider provider;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.leaseTtl(Duration.ofSeconds(3));
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        // $10 per million input and output tokens: 100 tokens cost $0.001
        .key("t1", RPM_KEY, null, new RateLimitConfig(5, null, null))
        .key("t1", BUDGET_KEY, new BudgetConfig(new BigDecimal("0.01"), BudgetPeriod.TOTAL), null)
        .key("t1", SHADOW_KEY, null, new RateLimitConfig(2, null, null, false))
        .key("t1", CONCURRENT_KEY, null, new RateLimitConfig(null, null, 1))
        .key("t1", OPEN_KEY, new BudgetConfig(new BigDecimal("100"), BudgetPeriod.MONTHLY, true,
            OnUnreachable.FAIL_OPEN), null)
        .key("t1", FREE_KEY, (BudgetConfig) null, null)
        .key("t1", CLOSED_KEY, new BudgetConfig(new BigDecimal("100"), BudgetPeriod.MONTHLY), null)
        .provider("oai", ProviderType.OPENAI, provider.baseUrl(), "sk-openai-secret-000000")
        .route("gpt", "oai/gpt-4o")
        .price("oai", "gpt-4o", "10", "10", null)
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("governance-it"),
        Map.of("SPILLWAY_DP_USAGE_SHIP_MS", "20"));
    TestNodes.awaitVersion(node, 1);
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    provider.close();
  }

  @BeforeEach
  void reset() {
    provider.reset();
    provider.respondWith(FakeResponse.chat().usage(50, 50));
    controlPlane.answerLeasesWith(200);
  }

  static HttpResponse<String> chat(String key, int maxTokens) throws Exception {
    return new NodeClient(node, key).post("/v1/chat/completions", CHAT.formatted(maxTokens, ""));
  }

  @Test
  void aKeysRequestsPerMinuteAreCappedAndTheRefusalSaysWhenToComeBack() throws Exception {
    // The test must not straddle a minute boundary: wait for a fresh minute if less than 15 s are left.
    long msIntoMinute = System.currentTimeMillis() % 60_000;
    if (msIntoMinute > 45_000) {
      await().atMost(Duration.ofSeconds(20)).until(() -> System.currentTimeMillis() % 60_000 < 10_000);
    }
    List<HttpResponse<String>> responses = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      responses.add(chat(RPM_KEY, 10));
    }

    assertThat(responses.stream().filter(r -> r.statusCode() == 200)).hasSize(5);
    HttpResponse<String> ok = responses.get(0);
    assertThat(ok.headers().firstValue("x-ratelimit-limit-requests")).hasValue("5");
    assertThat(ok.headers().firstValue("x-ratelimit-remaining-requests")).isPresent();
    HttpResponse<String> refused = responses.get(7);
    assertThat(refused.statusCode()).isEqualTo(429);
    JsonNode error = NodeClient.error(refused);
    assertThat(error.path("code").asString()).isEqualTo("rate_limit_exceeded");
    assertThat(error.path("message").asString()).isEqualTo("key 'key 0' limit of 5 requests per minute reached");
    long secondsLeft = (60_000 - System.currentTimeMillis() % 60_000 + 999) / 1000;
    long retryAfter = Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow());
    assertThat(retryAfter).isBetween(secondsLeft - 1, secondsLeft + 1);
    assertThat(Long.parseLong(refused.headers().firstValue("retry-after-ms").orElseThrow()))
        .isBetween((retryAfter - 1) * 1000, retryAfter * 1000);
    // The refusal carries the limit's headers too, as OpenAI's own 429s do.
    assertThat(refused.headers().firstValue("x-ratelimit-limit-requests")).hasValue("5");
    assertThat(refused.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
    assertThat(refused.headers().firstValue("x-ratelimit-reset-requests")).isPresent();
    assertThat(provider.requestCount()).isEqualTo(5);
    String refusedId = refused.headers().firstValue("x-request-id").orElseThrow();
    JsonNode event = await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.usageEvents().stream()
        .filter(e -> e.path("request_id").asString().equals(refusedId)).findFirst().orElse(null),
        java.util.Objects::nonNull);
    assertThat(event.path("status_code").asInt()).isEqualTo(429);
    assertThat(event.path("error_code").asString()).isEqualTo("rate_limit_exceeded");
    assertThat(event.path("attempts").asInt()).isZero();
    assertThat(event.path("usage_source").asString()).isEqualTo("none");
  }

  @Test
  void aSpentBudgetIsRefusedAsInsufficientQuotaThatSdksDoNotRetry() throws Exception {
    int served = 0;
    HttpResponse<String> last = null;
    for (int i = 0; i < 20; i++) {
      last = chat(BUDGET_KEY, 100);
      if (last.statusCode() != 200) {
        break;
      }
      served++;
    }

    // Each request costs $0.001 (100 tokens at $10 per million); each reserves its body and 100 output tokens.
    assertThat(served).as(last.body()).isBetween(5, 10);
    assertThat(last.statusCode()).isEqualTo(429);
    assertThat(last.headers().firstValue("x-should-retry")).hasValue("false");
    JsonNode error = NodeClient.error(last);
    assertThat(error.path("code").asString()).isEqualTo("budget_exceeded");
    assertThat(error.path("type").asString()).isEqualTo("insufficient_quota");
    assertThat(error.path("message").asString()).isEqualTo("key 'key 1' total budget $0.01 spent");
    BigDecimal spent = new BigDecimal("0.001").multiply(BigDecimal.valueOf(served));
    await().atMost(Duration.ofSeconds(5)).until(() -> controlPlane.consumed("key", "key-1", "budget",
        "1970-01-01T00:00:00Z").compareTo(spent) == 0);
    assertThat(spent).isLessThanOrEqualTo(new BigDecimal("0.01"));

    HttpResponse<String> anthropic = new NodeClient(node, BUDGET_KEY).post("/v1/messages",
        "{\"model\":\"gpt\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "anthropic-version", "2023-06-01");
    assertThat(anthropic.statusCode()).isEqualTo(429);
    assertThat(NodeClient.body(anthropic).path("type").asString()).isEqualTo("error");
    assertThat(anthropic.headers().firstValue("x-should-retry")).hasValue("false");
  }

  @Test
  void aLimitInShadowModeRefusesNothingAndRecordsWhatItWouldHaveRefused() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> response = chat(SHADOW_KEY, 10);
      assertThat(response.statusCode()).isEqualTo(200);
      ids.add(response.headers().firstValue("x-request-id").orElseThrow());
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.usageEvents().stream()
        .filter(e -> ids.contains(e.path("request_id").asString())).count() == 5);
    long flagged = controlPlane.usageEvents().stream()
        .filter(e -> ids.contains(e.path("request_id").asString()))
        .filter(e -> e.path("shadow_refusal").asString("").equals("key 'key 2' limit of 2 requests per minute"))
        .count();
    assertThat(flagged).isBetween(3L, 5L);
  }

  @Test
  void concurrentRequestsBeyondTheLimitAreRefusedAndTheSlotComesBack() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    provider.respondWith(FakeResponse.stream().chunkCount(4).holdAfter(2, release));
    NodeClient client = new NodeClient(node, CONCURRENT_KEY);
    CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
      try {
        return client.post("/v1/chat/completions", CHAT.formatted(10, ",\"stream\":true"));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> provider.requestCount() == 1);

    HttpResponse<String> second = chat(CONCURRENT_KEY, 10);
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(NodeClient.error(second).path("message").asString())
        .isEqualTo("key 'key 3' limit of 1 concurrent requests reached");
    assertThat(second.headers().firstValue("retry-after")).hasValue("1");

    release.complete(null);
    assertThat(first.get().statusCode()).isEqualTo(200);
    provider.respondWith(FakeResponse.chat().usage(50, 50));
    await().atMost(Duration.ofSeconds(10)).until(() -> chat(CONCURRENT_KEY, 10).statusCode() == 200);
  }

  @Test
  void withoutTheControlPlaneABudgetFollowsItsUnreachableModeAndKeysWithoutLimitsAreServed() throws Exception {
    assertThat(chat(OPEN_KEY, 10).statusCode()).isEqualTo(200);
    assertThat(chat(CLOSED_KEY, 10).statusCode()).isEqualTo(200);
    controlPlane.answerLeasesWith(503);

    // Within its lease a node keeps serving; past the lease's expiry (3 s here) it spends from it no more.
    HttpResponse<String> refused = await().pollInterval(Duration.ofMillis(200)).atMost(Duration.ofSeconds(10))
        .until(() -> {
          provider.respondWith(FakeResponse.chat().usage(5, 5));
          return chat(CLOSED_KEY, 10);
        }, r -> r.statusCode() == 429);
    assertThat(NodeClient.error(refused).path("message").asString())
        .contains("monthly budget $100.00", "control plane is unreachable", "fail_closed");
    assertThat(refused.headers().firstValue("x-should-retry")).hasValue("true");

    for (int i = 0; i < 3; i++) {
      provider.respondWith(FakeResponse.chat().usage(5, 5));
      assertThat(chat(FREE_KEY, 10).statusCode()).isEqualTo(200);
      assertThat(chat(OPEN_KEY, 10).statusCode()).as("fail_open keeps serving").isEqualTo(200);
    }
  }
}
