package dev.spillway.controlplane.lease;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Objects;

/**
 * How much one lease is granted ("How much is granted" in docs/governance.md), for one window whose counter the
 * caller holds locked. Pure arithmetic, so that every case can be checked without a database.
 */
final class LeaseMath {
  /** Decimal places of every stored amount (numeric(24,9)). */
  static final int SCALE = 9;

  private LeaseMath() {}

  /**
   * This node's lease as stored before the call.
   *
   * @param granted what it was granted, counted only while the lease is live (an expired or released lease holds
   *                nothing, so the node may not go on spending from it)
   * @param used    what it reported so far
   */
  record Own(BigDecimal granted, BigDecimal used, boolean live) {
    static final Own NONE = new Own(BigDecimal.ZERO, BigDecimal.ZERO, false);
  }

  /** Another node's live lease of the same window. */
  record Other(BigDecimal granted, BigDecimal used, BigDecimal want) {
    boolean wantsMore() {
      return want.compareTo(granted) > 0;
    }
  }

  /**
   * This call's report and wish.
   *
   * @param mayGrow false for a window that is no longer the limit's (its period changed): the node keeps what it
   *                holds and gets nothing more
   */
  record Ask(BigDecimal used, BigDecimal want, boolean release, boolean mayGrow) {}

  /**
   * The result.
   *
   * @param used      the lease's used from now on (the stored one when the report was lower, for cumulative kinds)
   * @param granted   the total the node may consume in the window (concurrency: hold at once)
   * @param consumed  the window's consumption after this report
   * @param remaining the limit less what is consumed and what every live lease holds after this grant, never below
   *                  zero; null without a limit
   */
  record Outcome(BigDecimal used, BigDecimal granted, BigDecimal consumed, BigDecimal remaining) {}

  /**
   * @param limit    the limit at this level now, or null when there is none
   * @param consumed the window's consumption before this report (0 for concurrency)
   * @param others   the live leases of the other nodes
   */
  static Outcome grant(LeaseKind kind, BigDecimal limit, BigDecimal consumed, Own own, List<Other> others, Ask ask) {
    Objects.requireNonNull(kind, "kind");
    BigDecimal used = kind.cumulative() ? ask.used().max(own.used()) : ask.used();
    BigDecimal newConsumed = kind.cumulative() ? consumed.add(used.subtract(own.used())) : BigDecimal.ZERO;
    BigDecimal heldByOthers = others.stream()
        .map(o -> kind.cumulative() ? o.granted().subtract(o.used()).max(BigDecimal.ZERO) : o.granted())
        .reduce(BigDecimal.ZERO, BigDecimal::add);

    BigDecimal granted;
    if (ask.release()) {
      // The final report: the lease ends, nothing of it is held any more.
      granted = used;
    } else if (limit == null) {
      granted = kind.cumulative() ? ask.want() : ask.want().max(used);
    } else {
      BigDecimal oldGranted = own.live() ? own.granted() : BigDecimal.ZERO;
      BigDecimal keep = ask.want().subtract(used).max(BigDecimal.ZERO)
          .min(oldGranted.subtract(used).max(BigDecimal.ZERO));
      // For concurrency the requests in flight occupy slots like consumption does for the cumulative kinds.
      BigDecimal free = limit.subtract(kind.cumulative() ? newConsumed : used).subtract(heldByOthers).subtract(keep);
      BigDecimal need = ask.want().subtract(used).subtract(keep);
      BigDecimal extra = BigDecimal.ZERO;
      if (ask.mayGrow() && need.signum() > 0 && free.signum() > 0) {
        int wanting = 1 + (int) others.stream().filter(Other::wantsMore).count();
        extra = need.min(share(kind, free, wanting));
      }
      granted = used.add(keep).add(extra);
    }

    BigDecimal remaining = null;
    if (limit != null) {
      BigDecimal held = ask.release() ? BigDecimal.ZERO
          : kind.cumulative() ? granted.subtract(used) : granted;
      BigDecimal taken = kind.cumulative() ? newConsumed.add(heldByOthers).add(held) : heldByOthers.add(held);
      remaining = limit.subtract(taken).max(BigDecimal.ZERO);
    }
    return new Outcome(used, granted, newConsumed, remaining);
  }

  /**
   * An equal share of what is free among the leases that want more. Counts are whole; when the share is below one
   * but one unit is free, that unit is granted, so that a small limit (rpm 2 across five nodes) still makes progress.
   */
  private static BigDecimal share(LeaseKind kind, BigDecimal free, int wanting) {
    BigDecimal n = BigDecimal.valueOf(wanting);
    if (!kind.counts()) {
      return free.divide(n, SCALE, RoundingMode.DOWN);
    }
    BigDecimal share = free.divide(n, 0, RoundingMode.DOWN);
    return share.signum() == 0 && free.compareTo(BigDecimal.ONE) >= 0 ? BigDecimal.ONE : share;
  }
}
