package dev.spillway.controlplane.routing;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

public record RouteResponse(
    UUID id,
    String model,
    List<TargetView> targets,
    List<FallbackView> fallbacks,
    RouteRequest.RetryBody retry,
    String strategy,
    boolean sticky,
    Instant createdAt,
    Instant updatedAt) {

  public record TargetView(String provider, String model, int weight) {}

  public record FallbackView(String provider, String model) {}

  public static RouteResponse of(Route r) {
    return new RouteResponse(r.id(), r.model(),
        r.targets().stream().map(t -> new TargetView(t.providerName(), t.model(), t.weight())).toList(),
        r.fallbacks().stream().map(t -> new FallbackView(t.providerName(), t.model())).toList(),
        RouteRequest.RetryBody.of(r.retry()), r.strategy().wireName(), r.sticky(), r.createdAt(), r.updatedAt());
  }

  public RouteRequest toRequest() {
    return new RouteRequest(model,
        targets.stream().map(t -> new RouteRequest.TargetBody(t.provider(), t.model(), t.weight())).toList(),
        fallbacks.stream().map(t -> new RouteRequest.TargetBody(t.provider(), t.model(), null)).toList(), retry,
        strategy, sticky);
  }

  public Map<String, Object> auditView() {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("model", model);
    view.put("targets", targets);
    view.put("fallbacks", fallbacks);
    view.put("retry", retry);
    view.put("strategy", strategy);
    view.put("sticky", sticky);
    return view;
  }
}
