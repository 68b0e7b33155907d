package dev.spillway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How often a budget resets; {@code TOTAL} never does. */
public enum BudgetPeriod {
  DAILY, WEEKLY, MONTHLY, TOTAL;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<BudgetPeriod> find(String wireName) {
    return Arrays.stream(values()).filter(p -> p.wireName().equals(wireName)).findFirst();
  }

  @JsonCreator
  static BudgetPeriod fromWire(String wireName) {
    return find(wireName).orElseThrow(() -> new IllegalArgumentException(
        "unknown budget period: " + wireName + " (expected: daily, weekly, monthly, total)"));
  }
}
