package dev.spillway.controlplane.provider.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderKey;
import dev.spillway.controlplane.provider.ProviderRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's provider form. Keys are rows of name, value and weight; a row whose value is left empty keeps the
 * stored value of the key with that name (values are write-only), and a row whose name is cleared is removed.
 * Settings are {@code name=value} lines.
 */
public record ProviderForm(String name, String type, String baseUrl, List<String> keyName, List<String> keyValue,
    List<String> keyWeight, List<String> keyHint, String settings, String connectMs, String firstByteMs,
    String idleMs, String totalMs) {

  public ProviderForm {
    keyName = keyName == null ? List.of() : keyName;
    keyValue = keyValue == null ? List.of() : keyValue;
    keyWeight = keyWeight == null ? List.of() : keyWeight;
    keyHint = keyHint == null ? List.of() : keyHint;
  }

  public static ProviderForm empty() {
    return new ProviderForm("", "openai", "", List.of("primary", ""), List.of("", ""), List.of("1", "1"),
        List.of("", ""), "", "", "", "", "");
  }

  public static ProviderForm of(Provider p) {
    List<String> names = new ArrayList<>();
    List<String> weights = new ArrayList<>();
    List<String> hints = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (ProviderKey k : p.keys()) {
      names.add(k.name());
      weights.add(Integer.toString(k.weight()));
      hints.add(k.valueHint() == null ? "" : k.valueHint());
      values.add("");
    }
    names.add("");
    weights.add("1");
    hints.add("");
    values.add("");
    StringBuilder settings = new StringBuilder();
    p.settings().forEach((k, v) -> settings.append(k).append('=').append(v).append('\n'));
    var t = p.timeouts();
    return new ProviderForm(p.name(), p.type().wireName(), p.baseUrl() == null ? "" : p.baseUrl(), names, values,
        weights, hints, settings.toString(), ms(t == null ? 0 : t.connectMs()), ms(t == null ? 0 : t.firstByteMs()),
        ms(t == null ? 0 : t.idleMs()), ms(t == null ? 0 : t.totalMs()));
  }

  /** Key rows to show: the submitted ones (hints kept) or at least one empty row. */
  public int rows() {
    return Math.max(1, keyName.size());
  }

  public String at(List<String> list, int i) {
    return i < list.size() && list.get(i) != null ? list.get(i) : "";
  }

  public ProviderRequest toRequest() {
    return toRequest(null);
  }

  /** The API request; the form has no breaker fields, so an edit keeps the provider's {@code current} breaker. */
  public ProviderRequest toRequest(ProviderRequest.BreakerBody current) {
    List<ProviderRequest.KeyBody> keys = new ArrayList<>();
    for (int i = 0; i < keyName.size(); i++) {
      String n = Forms.text(at(keyName, i));
      String v = at(keyValue, i);
      if (n == null && v.isBlank()) {
        continue;
      }
      if (n == null) {
        throw ApiException.invalid("keys[" + keys.size() + "].name", "give the key a name");
      }
      keys.add(new ProviderRequest.KeyBody(n, v.isBlank() ? null : v.strip(),
          Forms.integer("keys[" + keys.size() + "].weight", at(keyWeight, i))));
    }
    ProviderRequest.TimeoutsBody timeouts = null;
    Long c = longValue("timeouts.connect_ms", connectMs);
    Long f = longValue("timeouts.first_byte_ms", firstByteMs);
    Long idle = longValue("timeouts.idle_ms", idleMs);
    Long total = longValue("timeouts.total_ms", totalMs);
    if (c != null || f != null || idle != null || total != null) {
      timeouts = new ProviderRequest.TimeoutsBody(c, f, idle, total);
    }
    return new ProviderRequest(Forms.text(name), Forms.text(type), Forms.text(baseUrl), keys, parseSettings(),
        timeouts, current);
  }

  private Map<String, String> parseSettings() {
    Map<String, String> result = new LinkedHashMap<>();
    if (settings == null) {
      return result;
    }
    for (String line : settings.split("\\R")) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      int eq = l.indexOf('=');
      if (eq <= 0) {
        throw ApiException.invalid("settings", "'" + l + "' is not name=value");
      }
      result.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
    }
    return result;
  }

  private static Long longValue(String field, String value) {
    Integer parsed = Forms.integer(field, value);
    return parsed == null ? null : parsed.longValue();
  }

  private static String ms(long value) {
    return value == 0 ? "" : Long.toString(value);
  }
}
