package dev.spillway.controlplane.usage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * What usage ingest tells an operator: {@code spillway_cp_usage_events_ingested_total} (events new to the table) and
 * {@code spillway_cp_usage_ingest_lag_seconds} (now minus {@code occurred_at} of every event of a stored batch: how
 * far behind the dashboards and budgets are; a node draining its spool after an outage shows up as a long tail).
 */
@Component
public class UsageIngestMetrics {
  private final Counter ingested;
  private final Timer lag;

  public UsageIngestMetrics(MeterRegistry registry) {
    ingested = Counter.builder("spillway.cp.usage.events.ingested")
        .description("Usage events stored (new to usage_events; replayed duplicates are not counted)")
        .register(registry);
    lag = Timer.builder("spillway.cp.usage.ingest.lag")
        .description("Time from a request (occurred_at) to the storing of its usage event")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(10))
        .maximumExpectedValue(Duration.ofHours(1))
        .register(registry);
  }

  /** A batch of {@code events} was committed, {@code accepted} of them new. */
  void stored(List<UsageEvent> events, int accepted, Instant now) {
    ingested.increment(accepted);
    for (UsageEvent event : events) {
      // A node's clock ahead of ours reads as no lag rather than a negative one.
      lag.record(Duration.between(event.occurredAt(), now).isNegative() ? Duration.ZERO
          : Duration.between(event.occurredAt(), now));
    }
  }
}
