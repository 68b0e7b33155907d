package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.usage.AttemptRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The attempts of one request as they end, for its log record. Touched only from the request's event loop; most
 * requests make one attempt, so the list is made on the first.
 */
final class AttemptTrail {
  /** A route's retries and fallbacks are bounded, but a record must be too. */
  static final int MAX_RECORDS = 32;

  private final long requestStartNanos;
  private List<AttemptRecord> records;

  AttemptTrail(long requestStartNanos) {
    this.requestStartNanos = requestStartNanos;
  }

  void add(RouteTable.Target target, int statusCode, String errorCode, long startNanos, long endNanos) {
    if (records == null) {
      records = new ArrayList<>(2);
    } else if (records.size() == MAX_RECORDS) {
      return;
    }
    records.add(new AttemptRecord(target.provider().name(), target.model(), statusCode, errorCode,
        Math.max(0, startNanos - requestStartNanos) / 1_000_000, Math.max(0, endNanos - startNanos) / 1_000_000));
  }

  List<AttemptRecord> records() {
    return records == null ? List.of() : List.copyOf(records);
  }
}
