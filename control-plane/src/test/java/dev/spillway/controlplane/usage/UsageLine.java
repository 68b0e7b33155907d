package dev.spillway.controlplane.usage;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/** A usage event as a node sends it (one NDJSON line), built field by field; unset fields take plain values. */
public final class UsageLine {
  public static final String ORG = "00000000-0000-0000-0000-000000000001";

  private final String requestId;
  private final Instant occurredAt;
  private String teamId;
  private String keyId;
  private String provider = "openai";
  private String model = "gpt-4o-mini";
  private int status = 200;
  private int inputTokens = 10;
  private int outputTokens = 20;
  private int reasoningTokens;
  private String cost = "0.000012345";
  private boolean unpriced;
  private String cacheStatus;
  private Float cacheSimilarity;
  /** Null: the line has no cache_saved_usd, as from nodes older than the cache stage. */
  private String cacheSavedUsd;
  private Integer latencyMs = 12;
  private String shadowRefusal;
  private boolean clientClosed;
  private String errorCode;
  private String usageSource = "provider";
  private int attempts = 1;
  /** The line's "log" object as JSON, or null (as from nodes older than request logs). */
  private String log;

  private UsageLine(String requestId, Instant occurredAt) {
    this.requestId = requestId;
    this.occurredAt = occurredAt;
  }

  public static UsageLine event(String requestId, Instant occurredAt) {
    return new UsageLine(requestId, occurredAt);
  }

  public UsageLine key(String teamId, String keyId) {
    this.teamId = teamId;
    this.keyId = keyId;
    return this;
  }

  public UsageLine key(UUID teamId, UUID keyId) {
    return key(teamId.toString(), keyId.toString());
  }

  public UsageLine model(String provider, String model) {
    this.provider = provider;
    this.model = model;
    return this;
  }

  public UsageLine status(int status) {
    this.status = status;
    return this;
  }

  public UsageLine tokens(int input, int output) {
    this.inputTokens = input;
    this.outputTokens = output;
    return this;
  }

  public UsageLine reasoningTokens(int reasoning) {
    this.reasoningTokens = reasoning;
    return this;
  }

  public UsageLine cost(String cost) {
    this.cost = cost;
    return this;
  }

  /** No price known: cost 0, flagged. */
  public UsageLine unpriced() {
    this.unpriced = true;
    this.cost = "0";
    return this;
  }

  public UsageLine cacheStatus(String cacheStatus) {
    this.cacheStatus = cacheStatus;
    return this;
  }

  public UsageLine cacheSimilarity(Float similarity) {
    this.cacheSimilarity = similarity;
    return this;
  }

  /**
   * A served cache hit as a node reports it: these tokens stood for by the cached answer (saved, not spent),
   * nothing paid, {@code savedUsd} saved.
   */
  public UsageLine cacheHit(String status, Float similarity, int input, int output, String savedUsd) {
    this.cacheStatus = status;
    this.cacheSimilarity = similarity;
    this.inputTokens = input;
    this.outputTokens = output;
    this.cost = "0";
    this.cacheSavedUsd = savedUsd;
    return this;
  }

  public UsageLine latencyMs(Integer latencyMs) {
    this.latencyMs = latencyMs;
    return this;
  }

  public UsageLine shadowRefusal(String shadowRefusal) {
    this.shadowRefusal = shadowRefusal;
    return this;
  }

  public UsageLine clientClosed() {
    this.clientClosed = true;
    return this;
  }

  /**
   * A request a limit refused, as a node reports it: 429 with this {@code error_code} ({@code rate_limit_exceeded}
   * or {@code budget_exceeded}), nothing spent, no provider asked.
   */
  public UsageLine refused(String errorCode) {
    this.status = 429;
    this.errorCode = errorCode;
    this.inputTokens = 0;
    this.outputTokens = 0;
    this.cost = "0";
    this.usageSource = "none";
    this.attempts = 0;
    this.latencyMs = 0;
    return this;
  }

  /** The line carries this request-log object (JSON). */
  public UsageLine log(String logJson) {
    this.log = logJson;
    return this;
  }

  public String requestId() {
    return requestId;
  }

  public String json() {
    String error = errorCode != null ? str(errorCode) : status >= 400 ? "\"upstream_error\"" : "null";
    return "{\"request_id\":" + str(requestId) + ",\"occurred_at\":" + str(occurredAt.toString())
        + ",\"node_id\":\"it-node:8000\",\"org_id\":" + str(ORG) + ",\"team_id\":" + str(teamId)
        + ",\"key_id\":" + str(keyId) + ",\"route\":\"demo\",\"provider\":" + str(provider) + ",\"model\":"
        + str(model) + ",\"endpoint\":\"chat_completions\",\"status_code\":" + status + ",\"error_code\":" + error
        + ",\"input_tokens\":" + inputTokens + ",\"output_tokens\":" + outputTokens
        + ",\"cached_input_tokens\":0,\"reasoning_tokens\":" + reasoningTokens + ",\"cost_usd\":" + str(cost)
        + ",\"unpriced\":" + unpriced + ",\"usage_source\":" + str(usageSource) + ",\"cache_status\":"
        + str(cacheStatus) + ",\"cache_similarity\":" + cacheSimilarity + ",\"attempts\":" + attempts
        + ",\"latency_ms\":" + latencyMs
        + ",\"ttft_ms\":5,\"streamed\":true,\"client_closed\":" + clientClosed + ",\"shadow_refusal\":"
        + str(shadowRefusal)
        + (cacheSavedUsd == null ? "" : ",\"cache_saved_usd\":" + str(cacheSavedUsd))
        + (log == null ? "" : ",\"log\":" + log) + "}";
  }

  public static String batch(List<UsageLine> lines) {
    return lines.stream().map(UsageLine::json).collect(Collectors.joining("\n", "", "\n"));
  }

  public static String batch(UsageLine... lines) {
    return batch(List.of(lines));
  }

  private static String str(String value) {
    return value == null ? "null" : "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
