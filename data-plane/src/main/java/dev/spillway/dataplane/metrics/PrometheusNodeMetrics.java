package dev.spillway.dataplane.metrics;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.usage.Usage;
import dev.spillway.dataplane.usage.UsageEvent;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The node's metrics with the Prometheus Java client 1.x, exposed as Prometheus text on {@code GET /metrics} of the
 * node's admin port.
 *
 * <p>Hot-path discipline: every time series a request touches is resolved once (per endpoint when the node starts,
 * per endpoint and outcome or per provider on first use) and then reached through an array index or one map
 * lookup by an existing string; recording is a few {@link LongAdder}-style additions, without locks or
 * allocation. Histograms are classic-only (the text format exposes nothing else; native buckets would cost a
 * map lookup and boxing per observation) and without exemplars (no tracing here to attach them to).
 *
 * <p>Time series: {@code spillway_requests_total{endpoint,status,code}} ({@code code="ok"} or an error code of
 * {@link GatewayError}, or {@code client_closed} with status 499), {@code spillway_errors_total{endpoint,code}},
 * the latency histograms {@code spillway_request_duration_seconds}, {@code spillway_upstream_duration_seconds},
 * {@code spillway_gateway_overhead_seconds} (total minus upstream) and {@code spillway_time_to_first_token_seconds}
 * (all by {@code endpoint}), {@code spillway_tokens_total{provider,direction}},
 * {@code spillway_upstream_attempts_total{provider,attempt}} ({@code first}, {@code retry}, {@code fallback}),
 * the gauges {@code spillway_active_requests}, {@code spillway_active_streams} and {@code spillway_open_connections},
 * the counters {@code spillway_connections_refused_total} (over the connection limit) and
 * {@code spillway_header_timeouts_total} (connections closed because a request head was too slow), and the per-team
 * counters of {@link TeamCounters}. The full list is in docs/observability.md.
 */
public final class PrometheusNodeMetrics implements NodeMetrics {
  private static final String CLIENT_CLOSED = "client_closed";
  private static final int CLIENT_CLOSED_STATUS = 499;
  /** Providers are named by config; past this many distinct names they share one series. */
  private static final int MAX_PROVIDERS = 1000;
  private static final String OTHER_PROVIDER = "other";

  /** Seconds; LLM calls take from milliseconds to minutes. */
  private static final double[] DURATION_BOUNDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
      1, 2.5, 5, 10, 20, 30, 60, 120, 300};
  /** Seconds; what the gateway itself adds is microseconds unless something is wrong. */
  private static final double[] OVERHEAD_BOUNDS = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter requests;
  private final Counter errors;
  private final Counter tokens;
  private final Counter attempts;
  private final EndpointSeries[] endpoints;
  private final ConcurrentHashMap<String, ProviderSeries> providers = new ConcurrentHashMap<>();
  private final LongAdder activeRequests = new LongAdder();
  private final LongAdder activeStreams = new LongAdder();
  private final LongAdder openConnections = new LongAdder();
  private final CounterDataPoint connectionsRefused;
  private final CounterDataPoint headerTimeouts;
  private final TeamCounters teams;

  /** With the default bounds of the per-team counters. */
  public PrometheusNodeMetrics() {
    this(MetricsSettings.DEFAULT_MAX_TEAMS, MetricsSettings.DEFAULT_MAX_ROUTES);
  }

  /** {@code maxTeams} and {@code maxRoutes} bound the label values of the per-team counters ({@link TeamCounters}). */
  public PrometheusNodeMetrics(int maxTeams, int maxRoutes) {
    requests = Counter.builder().name("spillway_requests_total")
        .help("Requests answered, by endpoint, HTTP status and outcome code (ok or the error code)")
        .labelNames("endpoint", "status", "code").withoutExemplars().register(registry);
    errors = Counter.builder().name("spillway_errors_total")
        .help("Requests that ended in an error (including streams that failed after their start), by error code")
        .labelNames("endpoint", "code").withoutExemplars().register(registry);
    Histogram total = histogram("spillway_request_duration_seconds",
        "Time from the complete request to the last byte of the response", DURATION_BOUNDS);
    Histogram upstream = histogram("spillway_upstream_duration_seconds",
        "Time spent in upstream exchanges of a request (all attempts), from sending to the last byte",
        DURATION_BOUNDS);
    Histogram overhead = histogram("spillway_gateway_overhead_seconds",
        "Gateway-added time of requests that reached a provider: total minus upstream time", OVERHEAD_BOUNDS);
    Histogram ttft = histogram("spillway_time_to_first_token_seconds",
        "Streams: time from the complete request to the first event written to the client", DURATION_BOUNDS);
    tokens = Counter.builder().name("spillway_tokens_total")
        .help("Tokens of complete answers as the provider reported them, by provider and direction")
        .labelNames("provider", "direction").withoutExemplars().register(registry);
    attempts = Counter.builder().name("spillway_upstream_attempts_total")
        .help("Upstream attempts by provider: first, retry (same target) or fallback (another target)")
        .labelNames("provider", "attempt").withoutExemplars().register(registry);
    GaugeWithCallback.builder().name("spillway_active_requests").help("Requests in progress")
        .callback(cb -> cb.call(activeRequests.sum())).register(registry);
    GaugeWithCallback.builder().name("spillway_active_streams")
        .help("Streamed answers in progress (head written, not yet ended)")
        .callback(cb -> cb.call(activeStreams.sum())).register(registry);
    GaugeWithCallback.builder().name("spillway_open_connections").help("Client connections open")
        .callback(cb -> cb.call(openConnections.sum())).register(registry);
    connectionsRefused = Counter.builder().name("spillway_connections_refused_total")
        .help("Client connections refused with 503 because the node was at its connection limit")
        .withoutExemplars().register(registry);
    headerTimeouts = Counter.builder().name("spillway_header_timeouts_total")
        .help("Client connections closed because a request head did not arrive within the header timeout")
        .withoutExemplars().register(registry);

    teams = new TeamCounters(registry, maxTeams, maxRoutes);

    Endpoint[] all = Endpoint.values();
    endpoints = new EndpointSeries[all.length];
    for (Endpoint e : all) {
      endpoints[e.ordinal()] = new EndpointSeries(e, total.labelValues(e.label()), upstream.labelValues(e.label()),
          overhead.labelValues(e.label()), ttft.labelValues(e.label()));
    }
  }

  /** A gauge read when scraped (queue depths, bytes waiting). */
  /**
   * Breaker state, time to first byte, error rate and key state of every upstream target this node has met, labelled
   * by provider, key name and upstream model; read from {@code health} at each scrape.
   */
  public void routingHealth(dev.spillway.dataplane.routing.RoutingHealth health) {
    GaugeWithCallback.builder().name("spillway_breaker_state")
        .help("Circuit breaker per provider key and upstream model: 0 closed, 1 half-open, 2 open")
        .labelNames("provider", "key", "model")
        .callback(cb -> health.sortedTargets().forEach(t -> cb.call(switch (t.breakerState()) {
          case "open" -> 2;
          case "half_open" -> 1;
          default -> 0;
        }, t.key().provider(), t.key().keyName(), t.model())))
        .register(registry);
    GaugeWithCallback.builder().name("spillway_target_error_rate")
        .help("Share of failed calls in the breaker's window, per provider key and upstream model")
        .labelNames("provider", "key", "model")
        .callback(cb -> health.sortedTargets().forEach(t ->
            cb.call(t.errorRate(), t.key().provider(), t.key().keyName(), t.model())))
        .register(registry);
    GaugeWithCallback.builder().name("spillway_target_ttfb_ewma_seconds")
        .help("Moving average of the time to the provider's first byte, per provider key and upstream model")
        .labelNames("provider", "key", "model")
        .callback(cb -> health.sortedTargets().stream().filter(t -> !Double.isNaN(t.ewmaTtfbMs())).forEach(t ->
            cb.call(t.ewmaTtfbMs() / 1000, t.key().provider(), t.key().keyName(), t.model())))
        .register(registry);
    GaugeWithCallback.builder().name("spillway_key_cooldown_seconds")
        .help("Seconds a provider key still cools down after a 429 (0: usable)")
        .labelNames("provider", "key")
        .callback(cb -> {
          long now = System.nanoTime();
          health.sortedTargets().stream().map(dev.spillway.dataplane.routing.TargetHealth::key).distinct()
              .forEach(k -> cb.call(k.coolingForNanos(now) / 1e9, k.provider(), k.keyName()));
        })
        .register(registry);
    GaugeWithCallback.builder().name("spillway_key_refused")
        .help("1 while the provider refuses the key's credentials (until the next snapshot or a probe)")
        .labelNames("provider", "key")
        .callback(cb -> health.sortedTargets().stream().map(dev.spillway.dataplane.routing.TargetHealth::key)
            .distinct().forEach(k -> cb.call(k.isBad() ? 1 : 0, k.provider(), k.keyName())))
        .register(registry);
  }

  public void gauge(String name, String help, java.util.function.LongSupplier value) {
    GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong())).register(registry);
  }

  /** A counter kept elsewhere, read when scraped. */
  public void counter(String name, String help, java.util.function.LongSupplier value) {
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name(name).help(help)
        .callback(cb -> cb.call(value.getAsLong())).register(registry);
  }

  private Histogram histogram(String name, String help, double[] bounds) {
    return Histogram.builder().name(name).help(help).labelNames("endpoint").classicOnly().classicUpperBounds(bounds)
        .withoutExemplars().register(registry);
  }

  @Override
  public RequestObserver requestStarted(Endpoint endpoint, long startNanos) {
    activeRequests.increment();
    return new Observer(endpoints[endpoint.ordinal()], startNanos);
  }

  @Override
  public void rejected(Endpoint endpoint, GatewayError error) {
    endpoints[endpoint.ordinal()].outcome(error).count();
  }

  @Override
  public void settled(String team, String route, UsageEvent event) {
    teams.record(team, route, event);
  }

  @Override
  public void connectionOpened() {
    openConnections.increment();
  }

  @Override
  public void connectionClosed() {
    openConnections.decrement();
  }

  @Override
  public void connectionRefused() {
    connectionsRefused.inc();
  }

  @Override
  public void headerTimedOut() {
    headerTimeouts.inc();
  }

  @Override
  public byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private ProviderSeries provider(String name) {
    ProviderSeries series = providers.get(name);
    if (series != null) {
      return series;
    }
    String label = providers.size() < MAX_PROVIDERS ? name : OTHER_PROVIDER;
    return providers.computeIfAbsent(label, ProviderSeries::new);
  }

  /** The series of one outcome: the request counter and, for errors, the error counter. */
  private record Outcome(CounterDataPoint requests, CounterDataPoint errors) {
    void count() {
      requests.inc();
      if (errors != null) {
        errors.inc();
      }
    }
  }

  /** Everything labelled by one endpoint; outcome series are resolved on first use (most never occur). */
  private final class EndpointSeries {
    private final Endpoint endpoint;
    private final DistributionDataPoint total;
    private final DistributionDataPoint upstream;
    private final DistributionDataPoint overhead;
    private final DistributionDataPoint ttft;
    private final Outcome ok;
    /** Index: error ordinal; for a failed stream (status 200) the ordinal plus the number of errors. */
    private final AtomicReferenceArray<Outcome> failures =
        new AtomicReferenceArray<>(GatewayError.values().length * 2);
    private volatile Outcome clientClosed;

    EndpointSeries(Endpoint endpoint, DistributionDataPoint total, DistributionDataPoint upstream,
        DistributionDataPoint overhead, DistributionDataPoint ttft) {
      this.endpoint = endpoint;
      this.total = total;
      this.upstream = upstream;
      this.overhead = overhead;
      this.ttft = ttft;
      this.ok = new Outcome(requests.labelValues(endpoint.label(), "200", "ok"), null);
    }

    Outcome outcome(int status, GatewayError error) {
      if (error == null) {
        return status == 200 ? ok : other(status);
      }
      boolean streamFailure = status != error.status().code();
      int index = error.ordinal() + (streamFailure ? GatewayError.values().length : 0);
      Outcome outcome = failures.get(index);
      if (outcome == null) {
        String statusLabel = Integer.toString(status);
        outcome = new Outcome(requests.labelValues(endpoint.label(), statusLabel, error.code()),
            errors.labelValues(endpoint.label(), error.code()));
        failures.set(index, outcome);
      }
      return outcome;
    }

    Outcome outcome(GatewayError error) {
      return outcome(error.status().code(), error);
    }

    /** A success status other than 200: rare (none today), so not worth a slot. */
    private Outcome other(int status) {
      return new Outcome(requests.labelValues(endpoint.label(), Integer.toString(status), "ok"), null);
    }

    Outcome clientClosed() {
      Outcome outcome = clientClosed;
      if (outcome == null) {
        outcome = new Outcome(requests.labelValues(endpoint.label(), Integer.toString(CLIENT_CLOSED_STATUS),
            CLIENT_CLOSED), errors.labelValues(endpoint.label(), CLIENT_CLOSED));
        clientClosed = outcome;
      }
      return outcome;
    }
  }

  /** Everything labelled by one provider. */
  private final class ProviderSeries {
    private final CounterDataPoint inputTokens;
    private final CounterDataPoint outputTokens;
    private final CounterDataPoint cachedInputTokens;
    private final CounterDataPoint[] attemptsByKind;

    ProviderSeries(String name) {
      inputTokens = tokens.labelValues(name, "input");
      outputTokens = tokens.labelValues(name, "output");
      cachedInputTokens = tokens.labelValues(name, "cached_input");
      RequestObserver.Attempt[] kinds = RequestObserver.Attempt.values();
      attemptsByKind = new CounterDataPoint[kinds.length];
      for (RequestObserver.Attempt kind : kinds) {
        attemptsByKind[kind.ordinal()] = attempts.labelValues(name, kind.name().toLowerCase(Locale.ROOT));
      }
    }
  }

  /** One request's measurements; used by one event loop only, so plain fields suffice. */
  private final class Observer implements RequestObserver {
    private final EndpointSeries series;
    private final long startNanos;
    private ProviderSeries provider;
    private long upstreamNanos;
    private long attemptStartNanos;
    private boolean attemptRunning;
    private boolean reachedUpstream;
    private boolean streaming;
    private boolean firstTokenSeen;
    private boolean done;

    Observer(EndpointSeries series, long startNanos) {
      this.series = series;
      this.startNanos = startNanos;
    }

    @Override
    public void upstreamStarted(String providerName, Attempt attempt) {
      endAttempt(System.nanoTime());
      provider = provider(providerName);
      provider.attemptsByKind[attempt.ordinal()].inc();
      reachedUpstream = true;
      attemptRunning = true;
      attemptStartNanos = System.nanoTime();
    }

    @Override
    public void upstreamEnded() {
      endAttempt(System.nanoTime());
    }

    private void endAttempt(long now) {
      if (attemptRunning) {
        attemptRunning = false;
        upstreamNanos += now - attemptStartNanos;
      }
    }

    @Override
    public void streamStarted() {
      if (!streaming && !done) {
        streaming = true;
        activeStreams.increment();
      }
    }

    @Override
    public void firstToken() {
      if (!firstTokenSeen && !done) {
        firstTokenSeen = true;
        series.ttft.observe(seconds(System.nanoTime() - startNanos));
      }
    }

    @Override
    public void usage(Usage usage) {
      if (provider == null || usage == null || done) {
        return;
      }
      if (usage.inputTokens() > 0) {
        provider.inputTokens.inc(usage.inputTokens());
      }
      if (usage.outputTokens() > 0) {
        provider.outputTokens.inc(usage.outputTokens());
      }
      if (usage.cachedInputTokens() > 0) {
        provider.cachedInputTokens.inc(usage.cachedInputTokens());
      }
    }

    @Override
    public void completed(int status, GatewayError error) {
      if (done) {
        return;
      }
      series.outcome(status, error).count();
      end();
    }

    @Override
    public void clientClosed() {
      if (done) {
        return;
      }
      series.clientClosed().count();
      end();
    }

    private void end() {
      done = true;
      long now = System.nanoTime();
      endAttempt(now);
      long total = now - startNanos;
      series.total.observe(seconds(total));
      if (reachedUpstream) {
        series.upstream.observe(seconds(upstreamNanos));
        series.overhead.observe(seconds(Math.max(0, total - upstreamNanos)));
      }
      if (streaming) {
        activeStreams.decrement();
      }
      activeRequests.decrement();
    }
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
