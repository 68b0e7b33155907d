package dev.spillway.controlplane.requestlog;

import dev.spillway.controlplane.SpillwayProperties;
import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.price.EffectivePrice;
import dev.spillway.controlplane.price.PriceService;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sends a logged request again, to another route or model, charged to a key the admin chooses: the stored request
 * body with {@code model} replaced and streaming off goes to a data-plane node ({@code SPILLWAY_DP_URL}) on the same
 * client API path, authenticated with the node token and {@code x-spillway-replay-key-id} (the node trusts the
 * control plane, which holds that token, to act as any key). The node logs the replay like any request, with
 * {@code x-spillway-replay-of} naming the original. Every replay is audited, answered or not.
 */
@Service
public class ReplayService {
  /** The key the replay is charged to (a virtual key's id); only the node token may send it. */
  public static final String REPLAY_KEY_HEADER = "x-spillway-replay-key-id";
  /** The request being replayed. */
  public static final String REPLAY_OF_HEADER = "x-spillway-replay-of";
  private static final Logger log = LoggerFactory.getLogger(ReplayService.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final BigDecimal PER_MTOK = BigDecimal.valueOf(1_000_000);

  /** The replay's answer. {@code costUsd} is null when the answer has no usage or its model no price. */
  public record Replay(String requestId, int statusCode, long latencyMs, String provider, String model,
      BigDecimal costUsd, JsonNode response) {}

  /** Both answers, side by side. */
  public record Outcome(RequestLogDetail original, Replay replay) {}

  private final RequestLogService logs;
  private final VirtualKeyService keys;
  private final PriceService prices;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final ReplaySettings settings;
  private final String nodeToken;
  private final HttpClient http;

  public ReplayService(RequestLogService logs, VirtualKeyService keys, PriceService prices, AuditLog audit,
      PlatformTransactionManager transactions, ReplaySettings settings, SpillwayProperties properties) {
    this.logs = logs;
    this.keys = keys;
    this.prices = prices;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    this.settings = settings;
    this.nodeToken = properties.nodeToken();
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /**
   * Replays {@code requestId} with {@code model} (a route name or provider/model), charged to key {@code keyId}.
   * 404 for a request the caller may not read; 403 for a key of a team the caller does not administer.
   */
  public Outcome replay(String requestId, String model, String keyId) {
    RequestLogDetail original = logs.find(requestId)
        .orElseThrow(() -> ApiException.notFound("request", requestId));
    String targetModel = model == null ? "" : model.strip();
    if (targetModel.isEmpty()) {
      throw ApiException.invalid("model", "is required: a route name or provider/model");
    }
    if (targetModel.length() > 200) {
      throw ApiException.invalid("model", "is longer than 200 characters");
    }
    VirtualKey key = key(keyId);
    String path = path(original.record().clientApi());
    if (original.request() == null) {
      throw ApiException.conflict("request_id", "request " + requestId + " has no stored body to replay (its "
          + "team's content policy was '" + original.record().contentPolicy() + "')");
    }
    if (original.record().requestTruncated() || !original.request().isObject()) {
      throw ApiException.conflict("request_id", "request " + requestId + " was stored cut to the size cap, so it "
          + "cannot be sent again as it was");
    }
    byte[] body = body(original, targetModel);
    if (nodeToken == null || nodeToken.isBlank()) {
      throw ApiException.unavailable("replay needs SPILLWAY_NODE_TOKEN, which this control plane does not have");
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(settings.endpoint(path))
        .timeout(settings.timeout())
        .header("Authorization", "Bearer " + nodeToken)
        .header("Content-Type", "application/json")
        .header(REPLAY_KEY_HEADER, key.id().toString())
        .header(REPLAY_OF_HEADER, original.record().requestId())
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (path.startsWith("/v1/messages")) {
      request.header("anthropic-version", "2023-06-01");
    }
    long start = System.nanoTime();
    HttpResponse<byte[]> answer;
    try {
      answer = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      audited(original, targetModel, key, null, "timeout");
      throw ApiException.unavailable("the data plane at " + settings.dataPlaneUrl() + " did not answer within "
          + settings.timeout().toSeconds() + " s");
    } catch (IOException e) {
      audited(original, targetModel, key, null, "unreachable");
      log.warn("replay of {}: data plane {} unreachable: {}", requestId, settings.dataPlaneUrl(), e.toString());
      throw ApiException.unavailable("the data plane at " + settings.dataPlaneUrl() + " cannot be reached "
          + "(SPILLWAY_DP_URL)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiException.unavailable("interrupted while waiting for the data plane");
    }
    long latencyMs = Duration.ofNanos(System.nanoTime() - start).toMillis();
    JsonNode response = json(answer.body());
    String provider = answer.headers().firstValue("x-spillway-provider").orElse(null);
    String servedModel = answer.headers().firstValue("x-spillway-model").orElse(null);
    Replay replay = new Replay(answer.headers().firstValue("x-request-id").orElse(null), answer.statusCode(),
        latencyMs, provider, servedModel, cost(provider, servedModel, response), response);
    audited(original, targetModel, key, replay, null);
    return new Outcome(original, replay);
  }

  private VirtualKey key(String keyId) {
    if (keyId == null || keyId.isBlank()) {
      throw ApiException.invalid("key_id", "is required: the virtual key the replay is charged to");
    }
    UUID id;
    try {
      id = UUID.fromString(keyId.strip());
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("key_id", "is not an id");
    }
    VirtualKey key = keys.get(id);
    Authz.requireTeamAdmin(key.teamId());
    if (key.status() != VirtualKey.Status.ACTIVE) {
      throw ApiException.invalid("key_id", "key " + key.name() + " is revoked");
    }
    if (key.expiresAt() != null && !Instant.now().isBefore(key.expiresAt())) {
      throw ApiException.invalid("key_id", "key " + key.name() + " has expired");
    }
    return key;
  }

  /** The client API's path on the node. */
  static String path(String clientApi) {
    return switch (clientApi == null ? "" : clientApi) {
      case "chat" -> "/v1/chat/completions";
      case "messages" -> "/v1/messages";
      case "count_tokens" -> "/v1/messages/count_tokens";
      case "embeddings" -> "/v1/embeddings";
      case "completions" -> "/v1/completions";
      case "responses" -> "/v1/responses";
      default -> throw ApiException.conflict("request_id", "requests of client API '" + clientApi
          + "' cannot be replayed");
    };
  }

  /** The stored body with the new model; a chat is asked for a complete answer, to show it side by side. */
  static byte[] body(RequestLogDetail original, String model) {
    ObjectNode body = ((ObjectNode) original.request()).deepCopy();
    body.put("model", model);
    switch (original.record().clientApi()) {
      case "chat", "messages", "completions", "responses" -> {
        body.put("stream", false);
        // OpenAI refuses stream_options without stream: true.
        body.remove("stream_options");
      }
      default -> { /* embeddings and token counts do not stream */ }
    }
    return JSON.writeValueAsBytes(body);
  }

  private static JsonNode json(byte[] bytes) {
    try {
      return JSON.readTree(bytes);
    } catch (JacksonException e) {
      return JsonNodeFactory.instance.stringNode(new String(bytes, StandardCharsets.UTF_8));
    }
  }

  /**
   * The replay's cost from its usage and the price of the model that served it, as the node would charge it; null
   * when either is missing.
   */
  private BigDecimal cost(String provider, String model, JsonNode response) {
    if (provider == null || model == null || response == null || !response.has("usage")) {
      return null;
    }
    JsonNode usage = response.get("usage");
    long input = usage.path("prompt_tokens").asLong(usage.path("input_tokens").asLong(0));
    long output = usage.path("completion_tokens").asLong(usage.path("output_tokens").asLong(0));
    long cached = usage.path("prompt_tokens_details").path("cached_tokens")
        .asLong(usage.path("cache_read_input_tokens").asLong(0));
    EffectivePrice price;
    try {
      price = prices.list(provider).stream().filter(p -> p.model().equals(model)).findFirst().orElse(null);
    } catch (ApiException e) {
      return null;
    }
    if (price == null || price.inputPerMtokUsd() == null || price.outputPerMtokUsd() == null) {
      return null;
    }
    BigDecimal cachedPrice = price.cachedInputPerMtokUsd() == null ? price.inputPerMtokUsd()
        : price.cachedInputPerMtokUsd();
    long uncached = Math.max(0, input - cached);
    return price.inputPerMtokUsd().multiply(BigDecimal.valueOf(uncached))
        .add(cachedPrice.multiply(BigDecimal.valueOf(Math.min(cached, input))))
        .add(price.outputPerMtokUsd().multiply(BigDecimal.valueOf(output)))
        .divide(PER_MTOK, MathContext.DECIMAL64).stripTrailingZeros();
  }

  private void audited(RequestLogDetail original, String model, VirtualKey key, Replay replay, String failure) {
    Map<String, Object> after = new LinkedHashMap<>();
    after.put("model", model);
    after.put("key_id", key.id().toString());
    after.put("original_model", original.record().requestedModel());
    if (replay != null) {
      after.put("replay_request_id", replay.requestId());
      after.put("status_code", replay.statusCode());
    } else {
      after.put("failure", failure);
    }
    tx.executeWithoutResult(status -> audit.record("request.replay", "request", original.record().requestId(),
        null, after, null));
  }
}
