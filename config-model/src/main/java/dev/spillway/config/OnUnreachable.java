package dev.spillway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a node does with a budget once it has spent what its leases hold and can reach neither the control plane nor
 * (through it) PostgreSQL: refuse requests the budget governs ({@code FAIL_CLOSED}, the default: no spend the
 * organisation has not granted), or serve them and record the spend for later ({@code FAIL_OPEN}).
 */
public enum OnUnreachable {
  FAIL_CLOSED, FAIL_OPEN;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<OnUnreachable> find(String wireName) {
    return Arrays.stream(values()).filter(m -> m.wireName().equals(wireName)).findFirst();
  }

  @JsonCreator
  static OnUnreachable fromWire(String wireName) {
    return find(wireName).orElseThrow(() -> new IllegalArgumentException(
        "unknown on_unreachable: " + wireName + " (expected: fail_closed, fail_open)"));
  }
}
