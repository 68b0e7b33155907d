package dev.spillway.dataplane.routing;

import dev.spillway.config.RoutingStrategy;
import dev.spillway.dataplane.provider.ProviderRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Decides, from what this node knows of its targets' health, the order in which a request tries a plan's targets and
 * which provider key each attempt uses. Reads health without locks; the only write is the breaker permission of the
 * key it picks.
 *
 * <p>Keys: a key the provider refused, one cooling down after a 429, one the provider reported out of room until its
 * reset, and one whose breaker is open are skipped at no cost. Among the rest the route's strategy decides; a request
 * carrying a session id on a sticky route keeps to one key by rendezvous hashing (weighted), which every node computes
 * the same way and which moves only the sessions of a key that becomes unusable.
 */
public final class TargetSelector {
  /** Share of {@code least_latency} requests that take the weighted order, so a slow target's average stays fresh. */
  static final double EXPLORE = 0.05;

  private TargetSelector() {}

  /**
   * The targets of {@code plan} in the order this request tries them: its primaries ordered by the route's strategy
   * (targets with no usable key last), then its fallbacks as configured.
   */
  public static List<RouteTable.Target> order(RouteTable.Plan plan, String sessionId, long nowNanos,
      long badKeyProbeNanos) {
    int primaries = plan.primaries();
    List<RouteTable.Target> targets = plan.targets();
    if (primaries <= 1) {
      return targets;
    }
    List<RouteTable.Target> ordered = new ArrayList<>(targets.size());
    List<RouteTable.Target> unusable = new ArrayList<>(2);
    List<RouteTable.Target> candidates = new ArrayList<>(primaries);
    for (int i = 0; i < primaries; i++) {
      RouteTable.Target target = targets.get(i);
      if (target.weight() <= 0) {
        continue; // a weight of 0 takes a target out of rotation
      }
      (hasUsableKey(target, 0, nowNanos, badKeyProbeNanos) ? candidates : unusable).add(target);
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (plan.sticky() && sessionId != null) {
      long session = hash(sessionId);
      candidates.sort((a, b) -> Double.compare(bestStickyScore(b, session), bestStickyScore(a, session)));
      ordered.addAll(candidates);
    } else {
      switch (plan.strategy()) {
        case LEAST_LATENCY -> {
          if (random.nextDouble() < EXPLORE) {
            weightedOrder(candidates, ordered, random);
          } else {
            candidates.sort((a, b) -> Double.compare(latency(a), latency(b)));
            ordered.addAll(candidates);
          }
        }
        case LEAST_BUSY -> {
          shuffle(candidates, random); // ties go to any of them, not always the first configured
          candidates.sort((a, b) -> Integer.compare(inFlight(a), inFlight(b)));
          ordered.addAll(candidates);
        }
        case HEADROOM -> {
          shuffle(candidates, random);
          candidates.sort((a, b) -> Double.compare(room(b, nowNanos), room(a, nowNanos)));
          ordered.addAll(candidates);
        }
        default -> weightedOrder(candidates, ordered, random);
      }
    }
    ordered.addAll(unusable);
    ordered.addAll(targets.subList(primaries, targets.size()));
    return ordered;
  }

  /** The primary drawn by weight, then the others heaviest first. */
  private static void weightedOrder(List<RouteTable.Target> candidates, List<RouteTable.Target> out,
      ThreadLocalRandom random) {
    if (candidates.isEmpty()) {
      return;
    }
    int total = 0;
    for (RouteTable.Target t : candidates) {
      total += t.weight();
    }
    int ticket = random.nextInt(total);
    RouteTable.Target primary = candidates.get(candidates.size() - 1);
    for (RouteTable.Target t : candidates) {
      ticket -= t.weight();
      if (ticket < 0) {
        primary = t;
        break;
      }
    }
    out.add(primary);
    RouteTable.Target chosen = primary;
    candidates.stream().filter(t -> t != chosen).sorted((x, y) -> Integer.compare(y.weight(), x.weight()))
        .forEach(out::add);
  }

  /**
   * Picks a key of {@code target} for one attempt and takes its breaker permission, skipping keys in
   * {@code triedKeys} (bit {@code i} for key {@code i}). Returns the key's index, or -1 when no key is usable.
   */
  public static int pickKey(RouteTable.Target target, RoutingStrategy strategy, String sessionId, long triedKeys,
      long nowNanos, long badKeyProbeNanos) {
    List<TargetHealth> keys = target.keys();
    if (keys.size() == 1) {
      TargetHealth only = keys.get(0);
      return (triedKeys & 1) == 0 && only.key().usable(nowNanos, badKeyProbeNanos) && only.tryAcquire() ? 0 : -1;
    }
    long excluded = triedKeys;
    long session = sessionId == null ? 0 : hash(sessionId);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int round = 0; round < keys.size() && round < 64; round++) {
      int best = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < keys.size() && i < 64; i++) {
        TargetHealth key = keys.get(i);
        if ((excluded & (1L << i)) != 0 || !key.key().usable(nowNanos, badKeyProbeNanos)) {
          continue;
        }
        double score;
        if (sessionId != null) {
          score = stickyScore(session, key, keyWeight(target, i));
        } else {
          score = switch (strategy) {
            case LEAST_LATENCY -> Double.isNaN(key.ewmaTtfbMs()) ? 0 : -key.ewmaTtfbMs();
            case LEAST_BUSY -> -key.inFlightNow();
            case HEADROOM -> key.key().room().share(nowNanos);
            // A weighted draw in one pass (Efraimidis–Spirakis): the largest log(u) / weight wins.
            default -> Math.log(random.nextDouble()) / Math.max(keyWeight(target, i), 0.0001);
          };
        }
        if (best < 0 || score > bestScore || (score == bestScore && random.nextBoolean())) {
          best = i;
          bestScore = score;
        }
      }
      if (best < 0) {
        return -1;
      }
      if (keys.get(best).tryAcquire()) {
        return best;
      }
      excluded |= 1L << best; // its breaker is open (or its half-open probe is taken)
    }
    return -1;
  }

  /** Whether {@code target} has a key, not in {@code triedKeys}, that is not refused, cooling, exhausted or open. */
  public static boolean hasUsableKey(RouteTable.Target target, long triedKeys, long nowNanos, long badKeyProbeNanos) {
    List<TargetHealth> keys = target.keys();
    for (int i = 0; i < keys.size() && i < 64; i++) {
      TargetHealth key = keys.get(i);
      if ((triedKeys & (1L << i)) == 0 && key.key().usable(nowNanos, badKeyProbeNanos) && !key.isOpen()) {
        return true;
      }
    }
    return false;
  }

  /** When some key of {@code target} may be usable again (nanos), for a {@code Retry-After}. */
  public static long usableAgainNanos(RouteTable.Target target, long nowNanos, long badKeyProbeNanos) {
    long soonest = Long.MAX_VALUE;
    for (TargetHealth key : target.keys()) {
      long at = key.key().usableAgainNanos(nowNanos, badKeyProbeNanos);
      if (key.isOpen()) {
        at = Math.max(at, nowNanos + key.settings().openMs() * 1_000_000);
      }
      soonest = Math.min(soonest, at);
    }
    return soonest == Long.MAX_VALUE ? nowNanos : soonest;
  }

  private static double keyWeight(RouteTable.Target target, int index) {
    List<ProviderRuntime.Credential> credentials = target.provider().credentials();
    return index < credentials.size() ? credentials.get(index).weight() : 1;
  }

  private static double bestStickyScore(RouteTable.Target target, long session) {
    double best = Double.NEGATIVE_INFINITY;
    List<TargetHealth> keys = target.keys();
    for (int i = 0; i < keys.size(); i++) {
      best = Math.max(best, stickyScore(session, keys.get(i), target.weight() * Math.max(keyWeight(target, i), 1)));
    }
    return best;
  }

  /** Weighted rendezvous hashing: {@code weight / -ln(u)} with {@code u} uniform from the pair's hash. */
  private static double stickyScore(long session, TargetHealth key, double weight) {
    long mixed = mix(session ^ key.idHash());
    double u = ((mixed >>> 11) + 0.5) / (double) (1L << 53);
    return Math.max(weight, 0.0001) / -Math.log(u);
  }

  private static double latency(RouteTable.Target target) {
    double best = Double.POSITIVE_INFINITY;
    for (TargetHealth key : target.keys()) {
      double ms = key.ewmaTtfbMs();
      best = Math.min(best, Double.isNaN(ms) ? 0 : ms); // unmeasured first: measure it
    }
    return best;
  }

  private static int inFlight(RouteTable.Target target) {
    int sum = 0;
    for (TargetHealth key : target.keys()) {
      sum += key.inFlightNow();
    }
    return sum;
  }

  private static double room(RouteTable.Target target, long nowNanos) {
    double best = 0;
    for (TargetHealth key : target.keys()) {
      best = Math.max(best, key.key().room().share(nowNanos));
    }
    return best;
  }

  private static void shuffle(List<RouteTable.Target> list, ThreadLocalRandom random) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      RouteTable.Target t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }

  /** A 64-bit FNV-1a hash of {@code text}, mixed. */
  static long hash(String text) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < text.length(); i++) {
      h ^= text.charAt(i);
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  /** SplitMix64's finaliser. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
