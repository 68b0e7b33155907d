package dev.spillway.dataplane.governance;

import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.dataplane.config.NodeConfig;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.exchange.ExchangeRequest;
import dev.spillway.dataplane.exchange.Outcome;
import dev.spillway.dataplane.exchange.Settlement;
import dev.spillway.dataplane.metrics.NodeMetrics;
import dev.spillway.dataplane.protocol.StreamTranscript;
import dev.spillway.dataplane.requestlog.ContentRecorder;
import dev.spillway.dataplane.requestlog.Redactor;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.usage.AttemptRecord;
import dev.spillway.dataplane.usage.PriceTable;
import dev.spillway.dataplane.usage.RequestLog;
import dev.spillway.dataplane.usage.TokenEstimator;
import dev.spillway.dataplane.usage.Usage;
import dev.spillway.dataplane.usage.UsageEvent;
import dev.spillway.dataplane.usage.UsageJournal;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 7's usage part: turns each finished exchange into one {@link UsageEvent} and journals it before the
 * response completes.
 *
 * <p>Tokens come from the provider. When it reported none although it answered (a client that left mid-stream, a
 * provider that sends no stream usage), they are counted: the input from the request, the output from what the
 * stream relayed. Counting is slow work, so it runs on a thread of its own, and the event is journalled from there;
 * if that thread is swamped, the count is estimated from the text's length (four characters a token) rather than
 * lost. A cache hit costs nothing; a model without a price is recorded with its tokens and flagged.
 */
public final class UsageSettlement implements Settlement {
  private static final Logger log = LoggerFactory.getLogger(UsageSettlement.class);
  private static final int CHARS_PER_TOKEN = 4;

  /** What is kept of each logged body by default, before compression. */
  public static final int DEFAULT_LOG_BODY_MAX_BYTES = 64 * 1024;

  private final ContentRecorder recorder;
  private final String nodeId;
  private final ExecutorService counter = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
      new ArrayBlockingQueue<>(10_000), runnable -> {
        Thread thread = new Thread(runnable, "usage-counter");
        thread.setDaemon(true);
        return thread;
      });

  private final java.util.concurrent.atomic.LongAdder shadowRefusals = new java.util.concurrent.atomic.LongAdder();

  private final NodeMetrics metrics;

  public UsageSettlement(UsageJournal journal, String nodeId) {
    this(journal, nodeId, NodeMetrics.NONE);
  }

  /** {@code metrics} counts each request's usage per team and route once its event is made. */
  public UsageSettlement(UsageJournal journal, String nodeId, NodeMetrics metrics) {
    this(journal, nodeId, metrics, DEFAULT_LOG_BODY_MAX_BYTES);
  }

  /** @param logBodyMaxBytes what a request log keeps of each body, before compression */
  public UsageSettlement(UsageJournal journal, String nodeId, NodeMetrics metrics, int logBodyMaxBytes) {
    this.recorder = new ContentRecorder(journal, logBodyMaxBytes, 10_000);
    this.nodeId = nodeId;
    this.metrics = java.util.Objects.requireNonNull(metrics, "metrics");
  }

  @Override
  public void settle(Outcome outcome) {
    long endNanos = System.nanoTime();
    if (needsCounting(outcome)) {
      try {
        counter.execute(() -> record(outcome, endNanos, counted(outcome, true), UsageEvent.SOURCE_ESTIMATED));
        return;
      } catch (RejectedExecutionException e) {
        record(outcome, endNanos, counted(outcome, false), UsageEvent.SOURCE_ESTIMATED);
        return;
      }
    }
    String source = outcome.usage().isKnown() ? UsageEvent.SOURCE_PROVIDER : UsageEvent.SOURCE_NONE;
    record(outcome, endNanos, outcome.usage(), source);
  }

  @Override
  public void refused(ExchangeRequest request, GatewayException refusal, long startNanos) {
    try {
      long now = System.nanoTime();
      NodeConfig config = request.caller().config();
      VirtualKeyConfig key = request.caller().key().key();
      UsageEvent event = new UsageEvent(request.requestId(), Instant.now().minusNanos(now - startNanos), nodeId,
          config.snapshot().organization().id(), key.teamId(), key.id(), request.plan().routeName(), null, null,
          request.endpoint().name().toLowerCase(Locale.ROOT), refusal.error().status().code(), refusal.error().code(),
          0, 0, 0, 0, PriceTable.Cost.NOTHING.usd(), false, UsageEvent.SOURCE_NONE, null, null,
          PriceTable.Cost.NOTHING.usd(), 0,
          Math.max(0, now - startNanos) / 1_000_000, null, request.stream(), false, null)
          .withLog(log(request, refusal.getMessage(), java.util.List.of()));
      recorder.journal(event, request.caller().key().logging(), request.client().body(), null);
      count(request, event);
    } catch (RuntimeException e) {
      log.error("the refusal of request {} could not be recorded", request.requestId(), e);
    }
  }

  /** A provider answered (in part) and did not say what it charged for its output. */
  private static boolean needsCounting(Outcome outcome) {
    if (outcome.servedBy() == null || outcome.usage().outputTokens() > 0) {
      return false;
    }
    StreamTranscript transcript = outcome.transcript();
    return transcript != null && !transcript.isEmpty();
  }

  /**
   * The provider's counts where it gave them, counted ones for the rest: input from the request, output from what
   * was relayed. With {@code exact} false (the counting thread is swamped) only a length-based estimate.
   */
  private static Usage counted(Outcome outcome, boolean exact) {
    Usage reported = outcome.usage();
    String model = outcome.servedBy().model();
    StreamTranscript transcript = outcome.transcript();
    long output = exact ? TokenEstimator.countText(transcript.text(), model) + transcript.uncountedTokens()
        : transcript.approximateTokens();
    long input = reported.inputTokens();
    if (input == 0) {
      input = exact ? TokenEstimator.count(outcome.request().canonical(), model)
          : outcome.request().canonical().toString().length() / CHARS_PER_TOKEN;
    }
    return new Usage(input, output, reported.cachedInputTokens(), reported.reasoningTokens());
  }

  /** Releases the request's reservation with what it consumed, then journals its event. */
  private void record(Outcome outcome, long endNanos, Usage usage, String source) {
    try {
      UsageEvent event = event(outcome, endNanos, usage, source);
      if (event.shadowRefusal() != null) {
        shadowRefusals.increment();
      }
      // A cache hit used no provider: its tokens are recorded as saved, not taken from the key's limits.
      outcome.reservation().settle(outcome.cacheHit() ? Usage.NONE : usage, event.costUsd());
      recorder.journal(event, outcome.request().caller().key().logging(), outcome.request().client().body(),
          answer(outcome));
      count(outcome.request(), event);
    } catch (RuntimeException e) {
      outcome.reservation().cancel();
      log.error("usage of request {} could not be recorded", outcome.request().requestId(), e);
    }
  }

  private UsageEvent event(Outcome outcome, long endNanos, Usage usage, String source) {
    ExchangeRequest request = outcome.request();
    NodeConfig config = request.caller().config();
    VirtualKeyConfig key = request.caller().key().key();
    RouteTable.Target served = outcome.servedBy();
    String provider = served == null ? null : served.provider().name();
    String model = served == null ? null : served.model();
    PriceTable.Cost cost = config.prices().cost(provider, model, usage);
    long latencyNanos = Math.max(0, endNanos - outcome.startNanos());
    Instant occurredAt = Instant.now().minusNanos(System.nanoTime() - outcome.startNanos());
    Long ttftMs = outcome.firstByteNanos() == 0 ? null
        : Math.max(0, (outcome.firstByteNanos() - outcome.startNanos()) / 1_000_000);
    return new UsageEvent(request.requestId(), occurredAt, nodeId, config.snapshot().organization().id(),
        key.teamId(), key.id(), request.plan().routeName(), provider, model,
        request.endpoint().name().toLowerCase(Locale.ROOT), outcome.statusCode(),
        outcome.error() == null ? (outcome.clientClosed() ? "client_closed" : null) : outcome.error().code(),
        usage.inputTokens(), usage.outputTokens(), usage.cachedInputTokens(), usage.reasoningTokens(), cost.usd(),
        cost.unpriced(), source,
        outcome.cacheStatus(), outcome.cache().similarity(), saved(config, outcome, usage), outcome.attempts(), latencyNanos / 1_000_000, ttftMs, request.stream(),
        outcome.clientClosed(), outcome.reservation().shadowRefusal())
        .withLog(log(request, outcome.errorMessage(), outcome.trail()));
  }

  /** The request's log record, without content (added by the recorder when the policy keeps it). */
  private static RequestLog log(ExchangeRequest request, String errorMessage, java.util.List<AttemptRecord> trail) {
    ExchangeRequest.ClientRequest client = request.client();
    // An error message may quote the provider, which may quote the request: redacted whatever the policy.
    return new RequestLog(client.userAgent(), request.plan().requestedModel(),
        errorMessage == null ? null : Redactor.BUILT_IN_ONLY.redact(errorMessage), client.replayOf(), trail,
        request.caller().key().logging().content().wireName(), null, null, false, false);
  }

  /** The answer for the request log, in the client's API, or null: work for the recorder's thread. */
  private static ContentRecorder.AnswerSource answer(Outcome outcome) {
    if (outcome.encoder() == null) {
      return null;
    }
    var hit = outcome.cache().hit();
    if (hit != null) {
      return () -> outcome.encoder().apply(hit.completion(), outcome.request().requestId());
    }
    if (outcome.answer() == null) {
      return null;
    }
    return () -> {
      byte[] own = outcome.answer().clientAnswer();
      if (own != null) {
        return own;
      }
      tools.jackson.databind.node.ObjectNode completion = outcome.answer().completion();
      return completion == null ? null
          : outcome.encoder().apply(completion, completion.path("id").asString(outcome.request().requestId()));
    };
  }

  /** The per-team counters: by the team's name (its id if the snapshot lacks the team) and route. */
  private void count(ExchangeRequest request, UsageEvent event) {
    TeamConfig team = request.caller().key().team();
    RouteTable.Plan plan = request.plan();
    metrics.settled(team != null ? team.name() : event.teamId(),
        NodeMetrics.routeLabel(plan != null, plan != null ? plan.routeName() : null), event);
  }

  /** What a cache hit saved: its tokens at the price of the model that first gave the answer. */
  private static java.math.BigDecimal saved(NodeConfig config, Outcome outcome, Usage usage) {
    var hit = outcome.cache().hit();
    if (hit == null) {
      return PriceTable.Cost.NOTHING.usd();
    }
    return config.prices().cost(hit.provider(), hit.model(), usage).usd();
  }

  /** Requests a limit in shadow mode would have refused. */
  public long shadowRefusals() {
    return shadowRefusals.sum();
  }

  /** Waits for counting in progress, for an orderly shutdown. */
  public void close() {
    counter.shutdown();
    try {
      counter.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    recorder.close();
  }

  /** Requests whose log content was not stored (queue full, or it could not be processed). */
  public long contentDropped() {
    return recorder.dropped();
  }
}
