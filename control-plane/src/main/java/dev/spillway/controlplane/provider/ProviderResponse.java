package dev.spillway.controlplane.provider;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A provider on the admin API: key values never leave the control plane, only a four-character hint. */
public record ProviderResponse(
    UUID id,
    String name,
    String type,
    String baseUrl,
    List<KeyView> keys,
    Map<String, String> settings,
    ProviderRequest.TimeoutsBody timeouts,
    ProviderRequest.BreakerBody breaker,
    Instant createdAt,
    Instant updatedAt) {

  public record KeyView(String name, int weight, String valueHint) {}

  public static ProviderResponse of(Provider p) {
    return new ProviderResponse(p.id(), p.name(), p.type().wireName(), p.baseUrl(),
        p.keys().stream().map(k -> new KeyView(k.name(), k.weight(), k.valueHint())).toList(),
        ProviderRequest.sorted(p.settings()), ProviderRequest.TimeoutsBody.of(p.timeouts()),
        ProviderRequest.BreakerBody.of(p.breaker()), p.createdAt(), p.updatedAt());
  }

  /** The request form of the current state; key values are absent, meaning "keep". */
  public ProviderRequest toRequest() {
    return new ProviderRequest(name, type, baseUrl,
        keys.stream().map(k -> new ProviderRequest.KeyBody(k.name(), null, k.weight())).toList(), settings, timeouts,
        breaker);
  }

  public Map<String, Object> auditView() {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("name", name);
    view.put("type", type);
    view.put("base_url", baseUrl);
    view.put("keys", keys.stream().map(k -> k.name() + " (weight " + k.weight() + ", value ****"
        + (k.valueHint() == null ? "" : k.valueHint()) + ")").toList());
    view.put("settings", settings);
    view.put("timeouts", timeouts);
    view.put("breaker", breaker);
    return view;
  }
}
