package dev.spillway.controlplane.dashboard;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.OnUnreachable;
import dev.spillway.config.RateLimitConfig;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** Formatting for templates ({@code ${fmt.date(t)}}): dates in UTC, money, limits. */
public final class Format {
  static final Format INSTANCE = new Format();
  /** Shown next to a limit in shadow mode ({@code enforce: false}): it is to be counted, never to refuse. */
  static final String SHADOW = "shadow";
  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
      .withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter INPUT_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd")
      .withZone(ZoneOffset.UTC);

  private Format() {}

  public String date(Instant t) {
    return t == null ? "—" : DATE.format(t);
  }

  public String dateTime(Instant t) {
    return t == null ? "—" : DATE_TIME.format(t);
  }

  /** For {@code <input type="date">}. */
  public String inputDate(Instant t) {
    return t == null ? "" : INPUT_DATE.format(t);
  }

  public String ago(Instant t) {
    if (t == null) {
      return "never";
    }
    long s = Math.max(0, Duration.between(t, Instant.now()).toSeconds());
    if (s < 60) {
      return s + " s ago";
    }
    if (s < 3600) {
      return s / 60 + " min ago";
    }
    if (s < 86400) {
      return s / 3600 + " h ago";
    }
    return s / 86400 + " d ago";
  }

  public String usd(BigDecimal amount) {
    if (amount == null) {
      return "$0.00";
    }
    int scale = amount.abs().compareTo(BigDecimal.ONE) < 0 && amount.signum() != 0 ? 4 : 2;
    return "$" + String.format("%,." + scale + "f", amount.setScale(scale, RoundingMode.HALF_UP));
  }

  /**
   * {@code $10.00 monthly}, with the modes that differ from the default after it ({@code · shadow},
   * {@code · fails open}): a limit that refuses nothing, or lets requests through when the control plane is out of
   * reach, must not look like one that does.
   */
  public String budget(BudgetConfig budget) {
    if (budget == null) {
      return "—";
    }
    String text = usd(budget.limitUsd()) + " " + budget.period().wireName();
    if (!budget.enforced()) {
      text += " · " + SHADOW;
    }
    if (budget.onUnreachable() == OnUnreachable.FAIL_OPEN) {
      text += " · fails open";
    }
    return text;
  }

  public String rateLimit(RateLimitConfig r) {
    if (r == null) {
      return "—";
    }
    List<String> parts = new ArrayList<>();
    if (r.rpm() != null) {
      parts.add(String.format("%,d rpm", r.rpm()));
    }
    if (r.tpm() != null) {
      parts.add(String.format("%,d tpm", r.tpm()));
    }
    if (r.maxConcurrent() != null) {
      parts.add(r.maxConcurrent() + " concurrent");
    }
    if (!r.enforced()) {
      parts.add(SHADOW);
    }
    return String.join(" · ", parts);
  }

  /** Spend as a percentage of the budget, 0 to 100 (a zero budget is full at once). */
  public long percentOf(BigDecimal spent, BudgetConfig budget) {
    if (budget == null) {
      return 0;
    }
    if (budget.limitUsd().signum() == 0) {
      return 100;
    }
    double pct = (spent == null ? 0 : spent.doubleValue()) * 100 / budget.limitUsd().doubleValue();
    return Math.round(Math.max(0, Math.min(100, pct)));
  }

  public String number(long n) {
    return String.format("%,d", n);
  }

  public String percent(double ratio) {
    return String.format("%.1f%%", ratio * 100);
  }
}
