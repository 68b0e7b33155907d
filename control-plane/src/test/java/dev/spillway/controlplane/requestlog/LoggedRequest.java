package dev.spillway.controlplane.requestlog;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A row of {@code request_logs} as the usage ingest writes it, inserted straight with JDBC: bodies are gzip of JSON
 * bytes, as the node stores them. Defaults: a 200 chat on route {@code demo} served by {@code openai/gpt-4o-mini},
 * metadata only.
 */
public final class LoggedRequest {
  private final String requestId;
  private Instant time;
  private UUID teamId;
  private UUID keyId;
  private String clientApi = "chat";
  private String route = "demo";
  private String requestedModel = "demo";
  private String provider = "openai";
  private String model = "gpt-4o-mini";
  private int status = 200;
  private String errorCode;
  private long latencyMs = 120;
  private Long ttftMs;
  private long inputTokens = 12;
  private long outputTokens = 5;
  private BigDecimal costUsd = new BigDecimal("0.000123");
  private String cache = "miss";
  private String attempts = "[]";
  private String contentPolicy = "none";
  private byte[] requestBody;
  private byte[] responseBody;
  private boolean requestTruncated;
  private boolean responseTruncated;

  private LoggedRequest(String requestId, Instant time) {
    this.requestId = requestId;
    this.time = time;
  }

  public static LoggedRequest of(String requestId, Instant time) {
    return new LoggedRequest(requestId, time);
  }

  public LoggedRequest team(UUID team, UUID key) {
    this.teamId = team;
    this.keyId = key;
    return this;
  }

  public LoggedRequest clientApi(String api) {
    this.clientApi = api;
    return this;
  }

  public LoggedRequest route(String route) {
    this.route = route;
    this.requestedModel = route;
    return this;
  }

  public LoggedRequest served(String provider, String model) {
    this.provider = provider;
    this.model = model;
    return this;
  }

  public LoggedRequest status(int status, String errorCode) {
    this.status = status;
    this.errorCode = errorCode;
    return this;
  }

  public LoggedRequest latency(long latencyMs, Long ttftMs) {
    this.latencyMs = latencyMs;
    this.ttftMs = ttftMs;
    return this;
  }

  public LoggedRequest cost(String usd) {
    this.costUsd = new BigDecimal(usd);
    return this;
  }

  public LoggedRequest cache(String cache) {
    this.cache = cache;
    return this;
  }

  public LoggedRequest attempts(String json) {
    this.attempts = json;
    return this;
  }

  /** Bodies stored under {@code policy} (either may be null). */
  public LoggedRequest bodies(String policy, String requestJson, String responseJson) {
    this.contentPolicy = policy;
    this.requestBody = requestJson == null ? null : gzip(requestJson);
    this.responseBody = responseJson == null ? null : gzip(responseJson);
    return this;
  }

  /** A request body the size cap cut: not JSON any more. */
  public LoggedRequest truncatedRequest(String keptText) {
    this.requestBody = gzip(keptText);
    this.requestTruncated = true;
    return this;
  }

  public String requestId() {
    return requestId;
  }

  public LoggedRequest insert(JdbcClient jdbc) {
    jdbc.sql("""
            INSERT INTO request_logs (request_id, occurred_at, node_id, team_id, key_id, client_api, user_agent,
              route, requested_model, provider, model, status_code, error_code, latency_ms, ttft_ms, input_tokens,
              output_tokens, cost_usd, cache_status, attempts, content_policy, request_body, response_body,
              request_truncated, response_truncated)
            VALUES (?, ?, 'node-it', ?, ?, ?, 'it/1.0', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?)""")
        .params(requestId, Timestamp.from(time), teamId, keyId, clientApi, route, requestedModel, provider, model,
            status, errorCode, latencyMs, ttftMs, inputTokens, outputTokens, costUsd, cache, attempts, contentPolicy,
            requestBody, responseBody, requestTruncated, responseTruncated)
        .update();
    return this;
  }

  public static byte[] gzip(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
