package dev.spillway.controlplane.node;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code spillway_cp_nodes{status}}: how many nodes of the fleet table are {@code in_sync}, {@code behind},
 * {@code rejected} or {@code stale}, as {@link Fleet} judges them. One scrape reads the fleet once: the four gauges
 * share a count that is kept for a second.
 */
@Component
class FleetMetrics {
  static final List<String> STATUSES = List.of("in_sync", "behind", "rejected", "stale");
  private static final long FRESH_NANOS = Duration.ofSeconds(1).toNanos();

  private final Fleet fleet;
  private volatile Counts counts = new Counts(Map.of(), System.nanoTime() - FRESH_NANOS);

  FleetMetrics(Fleet fleet, MeterRegistry registry) {
    this.fleet = fleet;
    for (String status : STATUSES) {
      Gauge.builder("spillway.cp.nodes", this, m -> m.count(status))
          .description("Nodes in the fleet table by status (in_sync, behind, rejected, stale)")
          .tag("status", status)
          .register(registry);
    }
  }

  private double count(String status) {
    Counts seen = counts;
    long now = System.nanoTime();
    if (now - seen.readAtNanos() >= FRESH_NANOS) {
      Map<String, Integer> byStatus = new HashMap<>();
      fleet.all().forEach(member -> byStatus.merge(member.status(), 1, Integer::sum));
      seen = new Counts(byStatus, now);
      counts = seen;
    }
    return seen.byStatus().getOrDefault(status, 0);
  }

  private record Counts(Map<String, Integer> byStatus, long readAtNanos) {}
}
