package dev.spillway.controlplane.node;

import dev.spillway.controlplane.SpillwayProperties;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The fleet's view of targets: what the live nodes (heard from within {@code spillway.node-stale-after}, with a
 * target report no older than that) last reported per (provider, key, upstream model), folded across nodes.
 */
@Component
public class TargetHealth {
  /** Heartbeats carry at most this many samples; a node with more has a bug, not more targets. */
  public static final int MAX_SAMPLES = 2_000;
  private static final TypeReference<List<TargetSample>> SAMPLES = new TypeReference<>() {};

  /** A target of a route and the keys its provider is configured with. */
  public record Wanted(String provider, String model, List<String> keys) {}

  /**
   * One key of one target across the fleet. {@code breaker} is the worst state any node reports ({@code open},
   * {@code half_open}, {@code closed}), or {@code unknown} when no live node reports the key.
   */
  public record KeyView(String key, int nodes, int closed, int halfOpen, int open, String breaker,
      Double errorRateMax, Double errorRateMean, Double ewmaTtfbMsMean, long inFlight, long requests,
      int coolingDownNodes, int badKeyNodes, Long remainingRequestsMin, Long remainingTokensMin) {}

  public record TargetView(String provider, String model, List<KeyView> keys) {}

  /** The fleet's view of these targets, and how many live nodes reported at all. */
  public record View(int liveNodes, int reportingNodes, Instant at, List<TargetView> targets) {}

  private final NodeRegistry nodes;
  private final JsonMapper json;
  private final Duration staleAfter;

  public TargetHealth(NodeRegistry nodes, JsonMapper json, SpillwayProperties props) {
    this.nodes = nodes;
    this.json = json;
    this.staleAfter = props.nodeStaleAfter();
  }

  /** Stores what a node reported (validated by the caller), replacing its previous report. */
  public void record(String nodeId, List<TargetSample> samples) {
    nodes.recordTargetHealth(nodeId, json.writeValueAsString(samples));
  }

  public View view(List<Wanted> wanted) {
    Instant now = Instant.now();
    Instant liveSince = now.minus(staleAfter);
    List<NodeRegistry.HealthRow> rows = nodes.targetHealthSince(liveSince);
    Map<String, List<TargetSample>> byTarget = new HashMap<>();
    int reporting = 0;
    for (NodeRegistry.HealthRow row : rows) {
      if (row.reportedAt() == null || row.reportedAt().isBefore(liveSince) || row.samples() == null) {
        continue;
      }
      reporting++;
      for (TargetSample s : json.readValue(row.samples(), SAMPLES)) {
        byTarget.computeIfAbsent(s.provider() + "\n" + s.model(), k -> new ArrayList<>()).add(s);
      }
    }
    List<TargetView> targets = new ArrayList<>();
    for (Wanted w : wanted) {
      List<TargetSample> samples = byTarget.getOrDefault(w.provider() + "\n" + w.model(), List.of());
      Set<String> keyNames = new LinkedHashSet<>(w.keys());
      samples.forEach(s -> keyNames.add(s.key() == null ? "" : s.key()));
      List<KeyView> keys = new ArrayList<>();
      for (String key : keyNames) {
        keys.add(fold(key, samples.stream().filter(s -> key.equals(s.key() == null ? "" : s.key())).toList(), now));
      }
      targets.add(new TargetView(w.provider(), w.model(), keys));
    }
    return new View(rows.size(), reporting, now, targets);
  }

  private static KeyView fold(String key, List<TargetSample> samples, Instant now) {
    int closed = 0;
    int halfOpen = 0;
    int open = 0;
    int cooling = 0;
    int bad = 0;
    long inFlight = 0;
    long requests = 0;
    Double errorMax = null;
    double errorSum = 0;
    int errorCount = 0;
    double ttfbSum = 0;
    int ttfbCount = 0;
    Long remainingRequests = null;
    Long remainingTokens = null;
    for (TargetSample s : samples) {
      switch (s.breaker()) {
        case TargetSample.OPEN -> open++;
        case TargetSample.HALF_OPEN -> halfOpen++;
        default -> closed++;
      }
      if (s.cooldownUntil() != null && s.cooldownUntil().isAfter(now)) {
        cooling++;
      }
      if (Boolean.TRUE.equals(s.badKey())) {
        bad++;
      }
      inFlight += s.inFlight() == null ? 0 : s.inFlight();
      requests += s.requests() == null ? 0 : s.requests();
      if (s.errorRate() != null) {
        errorMax = errorMax == null ? s.errorRate() : Math.max(errorMax, s.errorRate());
        errorSum += s.errorRate();
        errorCount++;
      }
      if (s.ewmaTtfbMs() != null) {
        ttfbSum += s.ewmaTtfbMs();
        ttfbCount++;
      }
      remainingRequests = min(remainingRequests, s.remainingRequests());
      remainingTokens = min(remainingTokens, s.remainingTokens());
    }
    String worst = samples.isEmpty() ? "unknown" : open > 0 ? TargetSample.OPEN
        : halfOpen > 0 ? TargetSample.HALF_OPEN : TargetSample.CLOSED;
    return new KeyView(key, samples.size(), closed, halfOpen, open, worst, errorMax,
        errorCount == 0 ? null : errorSum / errorCount, ttfbCount == 0 ? null : ttfbSum / ttfbCount, inFlight,
        requests, cooling, bad, remainingRequests, remainingTokens);
  }

  private static Long min(Long a, Long b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : Math.min(a, b);
  }
}
