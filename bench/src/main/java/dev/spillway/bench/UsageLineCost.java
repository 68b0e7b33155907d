package dev.spillway.bench;

import dev.spillway.dataplane.usage.AttemptRecord;
import dev.spillway.dataplane.usage.RequestLog;
import dev.spillway.dataplane.usage.UsageEvent;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * What writing one usage event's wire line costs (the node does it once per request, on the event loop): a typical
 * chat event with its log record, a million times a round, five rounds; prints nanoseconds per line.
 *
 * <pre>
 * taskset -c 0 java -cp data-plane/target/data-plane-0.1.0-SNAPSHOT-node.jar:bench/target/classes \
 *     dev.spillway.bench.UsageLineCost
 * </pre>
 */
public final class UsageLineCost {
  private UsageLineCost() {}

  public static void main(String[] args) {
    RequestLog log = new RequestLog("OpenAI/Java 4.1.0", "gpt-4o-mini", null, null,
        List.of(new AttemptRecord("bench", "gpt-4o-mini", 200, null, 0, 1)), "none", null, null, false, false);
    UsageEvent event = new UsageEvent("req_3f2a9c0b1d4e5f60718293a4", Instant.now(), "vm:18000",
        "6f1c2d3e-0000-4000-8000-000000000001", "6f1c2d3e-0000-4000-8000-000000000002",
        "6f1c2d3e-0000-4000-8000-000000000003", "gpt-4o-mini", "bench", "gpt-4o-mini", "chat_completions", 200, null,
        12, 7, 0, 0, new BigDecimal("0.000005400"), false, UsageEvent.SOURCE_PROVIDER, null, null, BigDecimal.ZERO, 1,
        1, null, false, false, null).withLog(log);
    long bytes = 0;
    for (int round = 1; round <= 5; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < 1_000_000; i++) {
        bytes += event.toJsonLine().length;
      }
      System.out.printf("round %d: %.0f ns per line%n", round, (System.nanoTime() - start) / 1e6);
    }
    System.out.println("(" + bytes / 5_000_000 + " bytes a line)");
  }
}
