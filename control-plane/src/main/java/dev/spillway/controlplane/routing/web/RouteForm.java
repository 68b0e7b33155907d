package dev.spillway.controlplane.routing.web;

import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * The dashboard's route form: the model name clients send, weighted targets and ordered fallbacks as rows (empty
 * rows are ignored), the retry policy, the strategy and stickiness. {@code sticky} is a checkbox: absent means
 * unchecked.
 */
public record RouteForm(String model, List<String> targetProvider, List<String> targetModel,
    List<String> targetWeight, List<String> fallbackProvider, List<String> fallbackModel, String maxAttempts,
    String initialBackoffMs, String maxBackoffMs, String maxRetryAfterMs, String deadlineMs, String strategy,
    String sticky) {
  private static final int SPARE_ROWS = 1;

  public RouteForm {
    targetProvider = targetProvider == null ? List.of() : targetProvider;
    targetModel = targetModel == null ? List.of() : targetModel;
    targetWeight = targetWeight == null ? List.of() : targetWeight;
    fallbackProvider = fallbackProvider == null ? List.of() : fallbackProvider;
    fallbackModel = fallbackModel == null ? List.of() : fallbackModel;
  }

  public static RouteForm empty() {
    return new RouteForm("", List.of("", ""), List.of("", ""), List.of("1", "1"), List.of("", ""), List.of("", ""),
        "1", "0", "", "", "", "weighted", "true");
  }

  public static RouteForm of(Route r) {
    List<String> tp = new ArrayList<>();
    List<String> tm = new ArrayList<>();
    List<String> tw = new ArrayList<>();
    r.targets().forEach(t -> {
      tp.add(t.providerName());
      tm.add(t.model());
      tw.add(Integer.toString(t.weight()));
    });
    List<String> fp = new ArrayList<>();
    List<String> fm = new ArrayList<>();
    r.fallbacks().forEach(t -> {
      fp.add(t.providerName());
      fm.add(t.model());
    });
    for (int i = 0; i < SPARE_ROWS; i++) {
      tp.add("");
      tm.add("");
      tw.add("1");
      fp.add("");
      fm.add("");
    }
    return new RouteForm(r.model(), tp, tm, tw, fp, fm, Integer.toString(r.retry().maxAttempts()),
        Long.toString(r.retry().initialBackoffMs()), Long.toString(r.retry().maxBackoffMs()),
        Long.toString(r.retry().maxRetryAfterMs()), Long.toString(r.retry().deadlineMs()), r.strategy().wireName(),
        Boolean.toString(r.sticky()));
  }

  /** The strategies the select offers, by wire name. */
  public List<String> strategies() {
    return java.util.Arrays.stream(dev.spillway.config.RoutingStrategy.values())
        .map(dev.spillway.config.RoutingStrategy::wireName).toList();
  }

  public boolean isSticky() {
    return sticky != null && !sticky.isBlank() && !sticky.equals("false");
  }

  public int targetRows() {
    return Math.max(1, targetProvider.size());
  }

  public int fallbackRows() {
    return Math.max(1, fallbackProvider.size());
  }

  public String at(List<String> list, int i) {
    return i < list.size() && list.get(i) != null ? list.get(i) : "";
  }

  /** The API request; rows with neither provider nor model are skipped, so the indexes in errors are the API's. */
  public RouteRequest toRequest() {
    List<RouteRequest.TargetBody> targets = new ArrayList<>();
    for (int i = 0; i < targetProvider.size(); i++) {
      String p = Forms.text(at(targetProvider, i));
      String m = Forms.text(at(targetModel, i));
      if (p == null && m == null) {
        continue;
      }
      targets.add(new RouteRequest.TargetBody(p, m, Forms.integer("targets[" + targets.size() + "].weight",
          at(targetWeight, i))));
    }
    List<RouteRequest.TargetBody> fallbacks = new ArrayList<>();
    for (int i = 0; i < fallbackProvider.size(); i++) {
      String p = Forms.text(at(fallbackProvider, i));
      String m = Forms.text(at(fallbackModel, i));
      if (p == null && m == null) {
        continue;
      }
      fallbacks.add(new RouteRequest.TargetBody(p, m, null));
    }
    Integer attempts = Forms.integer("retry.max_attempts", maxAttempts);
    Integer backoff = Forms.integer("retry.initial_backoff_ms", initialBackoffMs);
    return new RouteRequest(Forms.text(model), targets, fallbacks,
        new RouteRequest.RetryBody(attempts, longOrNull(backoff),
            longOrNull(Forms.integer("retry.max_backoff_ms", maxBackoffMs)),
            longOrNull(Forms.integer("retry.max_retry_after_ms", maxRetryAfterMs)),
            longOrNull(Forms.integer("retry.deadline_ms", deadlineMs))),
        Forms.text(strategy), isSticky());
  }

  private static Long longOrNull(Integer value) {
    return value == null ? null : value.longValue();
  }
}
