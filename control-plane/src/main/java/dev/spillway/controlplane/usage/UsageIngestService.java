package dev.spillway.controlplane.usage;

import dev.spillway.controlplane.common.ApiException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Stores batches of usage events exactly once and keeps the hourly rollups ({@code usage_hourly}) in step, in one
 * statement and so one transaction: the events are inserted with {@code ON CONFLICT DO NOTHING}, and only the rows
 * that insert returns (new to the table, and each once however often the batch repeats it) are added to the
 * rollups. A batch sent again after a lost answer, or replayed from a node's spool, therefore changes nothing.
 *
 * <p>Several nodes and several control-plane replicas insert at once. Each statement takes its locks in primary-key
 * order (events by {@code (occurred_at, request_id)}, rollups by {@code (hour, key_id, provider, model)}), so two
 * batches with overlapping events or rollup rows wait for each other but never deadlock.
 *
 * <p>Rollups need a key and its team (their columns are NOT NULL): an event without them (a request refused before
 * its key was known) is stored but not rolled up. A missing provider or model rolls up as {@code ''}. A request a
 * limit refused ({@code error_code} {@code rate_limit_exceeded} or {@code budget_exceeded}) counts in
 * {@code refusals}, one a limit in shadow mode would have refused in {@code shadow_refusals}.
 *
 * <p>Cache: a served hit ({@code cache_status} {@code hit-exact} or {@code hit-semantic}) counts its tokens in
 * {@code cache_saved_input_tokens}/{@code cache_saved_output_tokens}, not in {@code input_tokens}/{@code
 * output_tokens} (tokens paid for at a provider), and its {@code cache_saved_usd}; every event with a cache status
 * other than {@code bypass} is a {@code cache_lookups}; {@code shadow-hit} and {@code shadow-miss} are
 * {@code cache_shadow_lookups}, the first also {@code cache_shadow_hits}. Spend ({@code cost_usd}, what budgets
 * add up) is what the node says a request cost, 0 for a hit.
 *
 * <p>After a batch with new events has committed, a {@link UsageRecorded} names the teams and keys it touched, so
 * that what watches their spend (budget alerts) looks at them soon, on its own thread.
 */
@Service
public class UsageIngestService {
  private static final Logger log = LoggerFactory.getLogger(UsageIngestService.class);

  /** What one batch did: rows new to {@code usage_events}, and lines that were already there (or repeated). */
  public record Result(int accepted, int duplicates) {}

  private static final String INGEST = """
      WITH batch AS (
        SELECT * FROM unnest(?::text[], ?::timestamptz[], ?::text[], ?::uuid[], ?::uuid[], ?::uuid[], ?::text[],
                             ?::text[], ?::text[], ?::text[], ?::int[], ?::text[], ?::int[], ?::int[], ?::int[],
                             ?::int[], ?::numeric[], ?::boolean[], ?::text[], ?::text[], ?::real[], ?::int[],
                             ?::int[], ?::int[], ?::boolean[], ?::boolean[], ?::text[], ?::numeric[],
                             ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                             ?::boolean[], ?::boolean[])
          AS u(request_id, occurred_at, node_id, org_id, team_id, key_id, route, provider, model, endpoint,
               status_code, error_code, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, cost_usd,
               unpriced, usage_source, cache_status, cache_similarity, attempts, latency_ms, ttft_ms, streamed,
               client_closed, shadow_refusal, cache_saved_usd, user_agent, requested_model, error_message, replay_of,
               attempt_log, content_policy, request_body, response_body, request_truncated, response_truncated)
      ),
      inserted AS (
        INSERT INTO usage_events (request_id, occurred_at, node_id, org_id, team_id, key_id, route, provider, model,
                                  endpoint, status_code, error_code, input_tokens, output_tokens, cached_input_tokens,
                                  reasoning_tokens, cost_usd, unpriced, usage_source, cache_status, cache_similarity,
                                  attempts, latency_ms, ttft_ms, streamed, client_closed, shadow_refusal,
                                  cache_saved_usd)
        SELECT request_id, occurred_at, node_id, org_id, team_id, key_id, route, provider, model, endpoint,
               status_code, error_code, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, cost_usd,
               unpriced, usage_source, cache_status, cache_similarity, attempts, latency_ms, ttft_ms, streamed,
               client_closed, shadow_refusal, cache_saved_usd
        FROM batch ORDER BY occurred_at, request_id
        ON CONFLICT DO NOTHING
        RETURNING request_id, occurred_at, org_id, team_id, key_id, provider, model, status_code, error_code, input_tokens,
                  output_tokens, cached_input_tokens, reasoning_tokens, cost_usd, unpriced, cache_status, latency_ms,
                  shadow_refusal, cache_saved_usd, coalesce(cache_status LIKE 'hit-%', false) AS hit
      ),
      rolled AS (
        INSERT INTO usage_hourly AS h (hour, key_id, provider, model, org_id, team_id, requests, errors, input_tokens,
                                       output_tokens, cached_input_tokens, reasoning_tokens, cost_usd, cache_hits,
                                       latency_ms_sum, unpriced_requests, shadow_refusals, refusals,
                                       cache_saved_usd, cache_saved_input_tokens, cache_saved_output_tokens,
                                       cache_lookups, cache_shadow_hits, cache_semantic_hits, cache_shadow_lookups)
        SELECT date_trunc('hour', occurred_at, 'UTC'), key_id, coalesce(provider, ''), coalesce(model, ''),
               -- A key belongs to one team; should a node ever disagree, the row keeps the team it has.
               (array_agg(org_id))[1], (array_agg(team_id))[1],
               count(*), count(*) FILTER (WHERE status_code >= 400),
               -- Tokens a provider was paid for: a cache hit's tokens were saved, not spent.
               coalesce(sum(input_tokens) FILTER (WHERE NOT hit), 0),
               coalesce(sum(output_tokens) FILTER (WHERE NOT hit), 0),
               coalesce(sum(cached_input_tokens) FILTER (WHERE NOT hit), 0),
               coalesce(sum(reasoning_tokens) FILTER (WHERE NOT hit), 0), sum(cost_usd),
               count(*) FILTER (WHERE hit), coalesce(sum(latency_ms), 0),
               count(*) FILTER (WHERE unpriced), count(*) FILTER (WHERE shadow_refusal IS NOT NULL),
               count(*) FILTER (WHERE error_code IN ('rate_limit_exceeded', 'budget_exceeded')),
               sum(cache_saved_usd), coalesce(sum(input_tokens) FILTER (WHERE hit), 0),
               coalesce(sum(output_tokens) FILTER (WHERE hit), 0),
               count(*) FILTER (WHERE cache_status IS NOT NULL AND cache_status <> 'bypass'),
               count(*) FILTER (WHERE cache_status = 'shadow-hit'),
               count(*) FILTER (WHERE cache_status = 'hit-semantic'),
               count(*) FILTER (WHERE cache_status IN ('shadow-hit', 'shadow-miss'))
        FROM inserted
        WHERE key_id IS NOT NULL AND team_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
""" + UsageHourly.ADD_ON_CONFLICT + """
      ),
      -- One log record per event new to usage_events (a line repeated in the batch is stored once).
      logged AS (
        INSERT INTO request_logs (request_id, occurred_at, node_id, org_id, team_id, key_id, client_api, user_agent,
                                  route, requested_model, provider, model, status_code, error_code, error_message,
                                  latency_ms, ttft_ms, input_tokens, output_tokens, cached_input_tokens,
                                  reasoning_tokens, cost_usd, cache_status, cache_similarity, streamed, client_closed,
                                  attempts, replay_of, content_policy, request_body, response_body,
                                  request_truncated, response_truncated)
        SELECT DISTINCT ON (b.occurred_at, b.request_id)
               b.request_id, b.occurred_at, b.node_id, b.org_id, b.team_id, b.key_id,
               -- The client API by its short name (V020): the endpoint chat_completions is the API 'chat'.
               CASE b.endpoint WHEN 'chat_completions' THEN 'chat' ELSE b.endpoint END, b.user_agent,
               b.route, b.requested_model, b.provider, b.model, b.status_code, b.error_code, b.error_message,
               coalesce(b.latency_ms, 0), b.ttft_ms, b.input_tokens, b.output_tokens, b.cached_input_tokens,
               b.reasoning_tokens, b.cost_usd, b.cache_status, b.cache_similarity, b.streamed, b.client_closed,
               coalesce(b.attempt_log, '[]')::jsonb, b.replay_of, coalesce(b.content_policy, 'none'),
               decode(b.request_body, 'base64'), decode(b.response_body, 'base64'),
               coalesce(b.request_truncated, false), coalesce(b.response_truncated, false)
        FROM inserted i JOIN batch b ON b.occurred_at = i.occurred_at AND b.request_id = i.request_id
        ORDER BY b.occurred_at, b.request_id
        ON CONFLICT DO NOTHING
      )
      SELECT count(*) FROM inserted""";

  private final JdbcClient jdbc;
  private final TransactionTemplate tx;
  private final String lockTimeout;
  private final ApplicationEventPublisher events;
  private final UsageIngestMetrics metrics;

  /**
   * @param lockTimeout how long a batch may wait for a lock (another batch's events, a partition being created or
   *                    dropped) before it is answered 503 and retried by the node later
   */
  public UsageIngestService(JdbcClient jdbc, PlatformTransactionManager txm,
      @Value("${spillway.usage-lock-timeout:5s}") Duration lockTimeout, ApplicationEventPublisher events,
      UsageIngestMetrics metrics) {
    this.jdbc = jdbc;
    this.metrics = metrics;
    this.tx = new TransactionTemplate(txm);
    this.lockTimeout = Math.max(1, lockTimeout.toMillis()) + "ms";
    this.events = events;
  }

  /**
   * Stores the events that are new and rolls them up. Answers 503 ({@link ApiException#unavailable}) when the
   * database cannot be reached or a lock was not granted in time: nothing was stored, and the same batch may be
   * sent again.
   */
  public Result ingest(List<UsageEvent> events) {
    Objects.requireNonNull(events, "events");
    if (events.isEmpty()) {
      return new Result(0, 0);
    }
    Object[] columns = columns(events);
    try {
      Long inserted = tx.execute(status -> {
        // Local to the transaction: the pooled connection goes back with its own setting.
        jdbc.sql("SELECT set_config('lock_timeout', ?, true)").param(lockTimeout).query(String.class).single();
        return jdbc.sql(INGEST).params(columns).query(Long.class).single();
      });
      int accepted = Math.toIntExact(Objects.requireNonNull(inserted, "inserted"));
      metrics.stored(events, accepted, java.time.Instant.now());
      if (accepted > 0) {
        announce(events);
      }
      return new Result(accepted, events.size() - accepted);
    } catch (RuntimeException e) {
      if (!retryable(e)) {
        throw e;
      }
      // The node keeps the batch in its spool and sends it again; the cause is for the operator, not the node.
      log.warn("usage batch of {} events not stored, answered 503: {}", events.size(), rootMessage(e));
      throw ApiException.unavailable("usage could not be stored now (database unavailable or busy); "
          + "send the same batch again later");
    }
  }

  /**
   * Tells listeners (budget alerts) which teams and keys the committed batch touched. The batch is stored whatever
   * a listener does: a failure here must not turn into an error answer that makes the node send it again.
   */
  private void announce(List<UsageEvent> batch) {
    Set<UUID> teams = new HashSet<>();
    Set<UUID> keys = new HashSet<>();
    for (UsageEvent e : batch) {
      if (e.teamId() != null && e.keyId() != null) {
        teams.add(e.teamId());
        keys.add(e.keyId());
      }
    }
    if (teams.isEmpty()) {
      return;
    }
    try {
      events.publishEvent(new UsageRecorded(teams, keys));
    } catch (RuntimeException e) {
      log.warn("usage batch stored, but its listeners failed: {}", e.toString());
    }
  }

  /**
   * Whether the failure is the database's state rather than the batch: no connection, a server shutting down, a
   * lock not granted in time, a deadlock or serialization failure. Spring's translation does not classify all of
   * them (PostgreSQL's lock_not_available, 55P03, arrives uncategorised), so the SQLSTATE decides as well.
   */
  static boolean retryable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof CannotCreateTransactionException || t instanceof DataAccessResourceFailureException
          || t instanceof TransientDataAccessException || t instanceof RecoverableDataAccessException
          || t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        // 08 connection, 40 rollback (deadlock, serialization), 53 resources, 57 operator intervention (shutdown,
        // statement timeout), 55P03 lock timeout.
        if (state.startsWith("08") || state.startsWith("40") || state.startsWith("53") || state.startsWith("57")
            || state.equals("55P03")) {
          return true;
        }
      }
    }
    return false;
  }

  /** The batch as one array per column, in the order of the statement's parameters. */
  private static Object[] columns(List<UsageEvent> events) {
    int n = events.size();
    String[] requestId = new String[n];
    String[] occurredAt = new String[n];
    String[] nodeId = new String[n];
    String[] orgId = new String[n];
    String[] teamId = new String[n];
    String[] keyId = new String[n];
    String[] route = new String[n];
    String[] provider = new String[n];
    String[] model = new String[n];
    String[] endpoint = new String[n];
    Integer[] statusCode = new Integer[n];
    String[] errorCode = new String[n];
    Integer[] inputTokens = new Integer[n];
    Integer[] outputTokens = new Integer[n];
    Integer[] cachedInputTokens = new Integer[n];
    Integer[] reasoningTokens = new Integer[n];
    String[] cost = new String[n];
    Boolean[] unpriced = new Boolean[n];
    String[] usageSource = new String[n];
    String[] cacheStatus = new String[n];
    String[] cacheSimilarity = new String[n];
    Integer[] attempts = new Integer[n];
    Integer[] latencyMs = new Integer[n];
    Integer[] ttftMs = new Integer[n];
    Boolean[] streamed = new Boolean[n];
    Boolean[] clientClosed = new Boolean[n];
    String[] shadowRefusal = new String[n];
    String[] cacheSaved = new String[n];
    String[] userAgent = new String[n];
    String[] requestedModel = new String[n];
    String[] errorMessage = new String[n];
    String[] replayOf = new String[n];
    String[] attemptLog = new String[n];
    String[] contentPolicy = new String[n];
    String[] requestBody = new String[n];
    String[] responseBody = new String[n];
    Boolean[] requestTruncated = new Boolean[n];
    Boolean[] responseTruncated = new Boolean[n];
    for (int i = 0; i < n; i++) {
      UsageEvent e = events.get(i);
      requestId[i] = e.requestId();
      occurredAt[i] = e.occurredAt().toString();
      nodeId[i] = e.nodeId();
      orgId[i] = e.orgId().toString();
      teamId[i] = e.teamId() == null ? null : e.teamId().toString();
      keyId[i] = e.keyId() == null ? null : e.keyId().toString();
      route[i] = e.route();
      provider[i] = e.provider();
      model[i] = e.model();
      endpoint[i] = e.endpoint();
      statusCode[i] = e.statusCode();
      errorCode[i] = e.errorCode();
      inputTokens[i] = e.inputTokens();
      outputTokens[i] = e.outputTokens();
      cachedInputTokens[i] = e.cachedInputTokens();
      reasoningTokens[i] = e.reasoningTokens();
      cost[i] = e.costUsd().toPlainString();
      unpriced[i] = e.unpriced();
      usageSource[i] = e.usageSource();
      cacheStatus[i] = e.cacheStatus();
      cacheSimilarity[i] = e.cacheSimilarity() == null ? null : e.cacheSimilarity().toString();
      attempts[i] = e.attempts();
      latencyMs[i] = e.latencyMs();
      ttftMs[i] = e.ttftMs();
      streamed[i] = e.streamed();
      clientClosed[i] = e.clientClosed();
      shadowRefusal[i] = e.shadowRefusal();
      cacheSaved[i] = e.cacheSavedUsd().toPlainString();
      RequestLogDetail log = e.log();
      if (log != null) {
        userAgent[i] = log.userAgent();
        requestedModel[i] = log.requestedModel();
        errorMessage[i] = log.errorMessage();
        replayOf[i] = log.replayOf();
        attemptLog[i] = log.attemptsJson();
        contentPolicy[i] = log.contentPolicy();
        requestBody[i] = log.requestBody();
        responseBody[i] = log.responseBody();
        requestTruncated[i] = log.requestTruncated();
        responseTruncated[i] = log.responseTruncated();
      }
    }
    return new Object[] {requestId, occurredAt, nodeId, orgId, teamId, keyId, route, provider, model, endpoint,
        statusCode, errorCode, inputTokens, outputTokens, cachedInputTokens, reasoningTokens, cost, unpriced,
        usageSource, cacheStatus, cacheSimilarity, attempts, latencyMs, ttftMs, streamed, clientClosed,
        shadowRefusal, cacheSaved, userAgent, requestedModel, errorMessage, replayOf, attemptLog, contentPolicy,
        requestBody, responseBody, requestTruncated, responseTruncated};
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
