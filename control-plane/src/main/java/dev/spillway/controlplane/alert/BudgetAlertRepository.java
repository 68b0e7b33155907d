package dev.spillway.controlplane.alert;

import dev.spillway.controlplane.limits.Scope;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Fired budget alerts ({@code budget_alerts}) and the state of their webhook deliveries. */
public interface BudgetAlertRepository {
  /** What makes an alert unique: it fires once per budget, period and threshold. */
  record AlertKey(Scope scopeType, UUID scopeId, Instant periodStart, int thresholdPercent) {}

  /**
   * Which alerts to list, newest first: all filters optional (null), {@code visibleTeams} null meaning every
   * alert, the organisation's included, and otherwise only alerts of those teams and their keys.
   */
  record Filter(Collection<UUID> visibleTeams, UUID teamId, Scope scopeType, Collection<UUID> scopeIds,
      Collection<Instant> periodStarts, int limit) {}

  /** The alerts of these scopes that have fired in any of these periods. */
  Set<AlertKey> fired(Scope scopeType, Collection<UUID> scopeIds, Collection<Instant> periodStarts);

  /**
   * Stores the alert unless its {@link AlertKey} has fired already (by anyone, on any replica); true when this call
   * stored it, so that exactly one caller logs and sends it.
   */
  boolean insertIfNew(BudgetAlert alert);

  List<BudgetAlert> find(Filter filter);

  /**
   * Takes up to {@code limit} pending deliveries due at {@code now}: each one's attempt count goes up and its next
   * attempt moves to {@code leaseUntil}, so that no one else sends it meanwhile and, should this replica die
   * while sending, it is sent again then. Rows another replica is taking right now are skipped.
   */
  List<BudgetAlert> claimDue(Instant now, Instant leaseUntil, int limit);

  /** Records that attempt {@code attempt} succeeded; false when the delivery has moved on without it. */
  boolean delivered(UUID id, int attempt, Instant at);

  /**
   * Records that attempt {@code attempt} failed with {@code error}: pending again from {@code retryAt}, or, when that
   * is null, failed for good. False when the delivery has moved on without it.
   */
  boolean attemptFailed(UUID id, int attempt, String error, Instant retryAt);
}
