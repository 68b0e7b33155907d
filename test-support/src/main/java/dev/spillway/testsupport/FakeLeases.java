package dev.spillway.testsupport;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The grant rule of docs/governance.md in memory, with limits taken from the published snapshot: for data-plane
 * tests of how a node spends, waits and refuses. The control plane's own implementation (PostgreSQL, row locks) is
 * tested in the control plane and end to end.
 */
final class FakeLeases {
  private record Held(BigDecimal granted, BigDecimal used, BigDecimal want, long expiresAtMillis, boolean released) {}

  private final Map<String, Map<String, Held>> windows = new HashMap<>();

  synchronized BigDecimal consumed(String window) {
    BigDecimal total = BigDecimal.ZERO;
    for (Held held : windows.getOrDefault(window, Map.of()).values()) {
      total = total.add(held.used);
    }
    return total;
  }

  synchronized ObjectNode grant(JsonNode request, SnapshotConfig snapshot, long ttlMillis) {
    long now = System.currentTimeMillis();
    String node = request.path("node_id").asString("");
    ObjectNode answer = JsonNodeFactory.instance.objectNode();
    answer.put("server_time", Instant.ofEpochMilli(now).toString());
    answer.put("refresh_ms", Math.max(100, ttlMillis / 5));
    ArrayNode out = answer.putArray("leases");
    for (JsonNode item : request.path("leases")) {
      String scopeType = item.path("scope_type").asString("");
      String scopeId = item.path("scope_id").asString("");
      String kind = item.path("kind").asString("");
      JsonNode windowNode = item.get("window_start");
      String windowStart = windowNode == null || windowNode.isNull() ? null : windowNode.asString();
      String window = scopeType + "|" + scopeId + "|" + kind + "|" + windowStart;
      BigDecimal used = new BigDecimal(item.path("used").asString("0"));
      BigDecimal want = new BigDecimal(item.path("want").asString("0"));
      boolean release = item.path("release").asBoolean(false);
      BigDecimal limit = limit(snapshot, scopeType, scopeId, kind);
      Map<String, Held> leases = windows.computeIfAbsent(window, w -> new HashMap<>());
      Held old = leases.get(node);
      boolean cumulative = !kind.equals("concurrency");
      if (old != null && cumulative && used.compareTo(old.used) < 0) {
        used = old.used;
      }
      BigDecimal oldGranted = old == null || old.released || old.expiresAtMillis < now ? BigDecimal.ZERO
          : old.granted;
      BigDecimal granted;
      if (release) {
        granted = used;
      } else if (limit == null) {
        granted = want;
      } else {
        BigDecimal held = BigDecimal.ZERO;
        BigDecimal consumedByOthers = BigDecimal.ZERO;
        int wanting = 1;
        for (Map.Entry<String, Held> e : leases.entrySet()) {
          if (e.getKey().equals(node)) {
            continue;
          }
          Held other = e.getValue();
          boolean live = !other.released && other.expiresAtMillis >= now;
          if (cumulative) {
            consumedByOthers = consumedByOthers.add(other.used);
            if (live) {
              held = held.add(other.granted.subtract(other.used).max(BigDecimal.ZERO));
            }
          } else if (live) {
            held = held.add(other.granted);
          }
          if (live && other.want.compareTo(other.granted) > 0) {
            wanting++;
          }
        }
        BigDecimal keep = want.subtract(used).max(BigDecimal.ZERO).min(oldGranted.subtract(used).max(BigDecimal.ZERO));
        BigDecimal free = limit.subtract(held).subtract(keep).subtract(used)
            .subtract(cumulative ? consumedByOthers : BigDecimal.ZERO);
        BigDecimal ask = want.subtract(used).subtract(keep).max(BigDecimal.ZERO);
        BigDecimal share = free.max(BigDecimal.ZERO).divide(BigDecimal.valueOf(wanting), 9, RoundingMode.DOWN);
        BigDecimal extra = ask.min(share);
        if (!kind.equals("budget")) {
          extra = extra.setScale(0, RoundingMode.DOWN);
          if (extra.signum() == 0 && ask.signum() > 0 && free.compareTo(BigDecimal.ONE) >= 0) {
            extra = BigDecimal.ONE;
          }
        }
        granted = used.add(keep).add(extra.max(BigDecimal.ZERO));
        if (!cumulative) {
          granted = granted.max(used);
        }
      }
      leases.put(node, new Held(granted, used, want, now + ttlMillis, release));
      BigDecimal heldAll = BigDecimal.ZERO;
      for (Held h : leases.values()) {
        if (!h.released && h.expiresAtMillis >= now) {
          heldAll = heldAll.add(cumulative ? h.granted.subtract(h.used).max(BigDecimal.ZERO) : h.granted);
        }
      }
      ObjectNode lease = out.addObject()
          .put("scope_type", scopeType).put("scope_id", scopeId).put("kind", kind)
          .put("granted", granted.stripTrailingZeros().toPlainString())
          .put("expires_at", Instant.ofEpochMilli(now + ttlMillis).toString())
          .put("enforce", enforce(snapshot, scopeType, scopeId, kind))
          .put("used", used.stripTrailingZeros().toPlainString());
      if (windowStart == null) {
        lease.putNull("window_start");
      } else {
        lease.put("window_start", windowStart);
      }
      if (limit == null) {
        lease.putNull("limit");
        lease.putNull("remaining");
      } else {
        lease.put("limit", limit.stripTrailingZeros().toPlainString());
        BigDecimal remaining = limit.subtract(heldAll).subtract(cumulative ? consumed(window) : BigDecimal.ZERO);
        lease.put("remaining", remaining.max(BigDecimal.ZERO).stripTrailingZeros().toPlainString());
      }
      if (kind.equals("rpm") || kind.equals("tpm")) {
        lease.put("reset_at", Instant.parse(windowStart).plusSeconds(60).toString());
      } else {
        lease.putNull("reset_at");
      }
    }
    return answer;
  }

  private static BigDecimal limit(SnapshotConfig snapshot, String scopeType, String scopeId, String kind) {
    if (snapshot == null) {
      return null;
    }
    BudgetConfig budget = null;
    RateLimitConfig rate = null;
    switch (scopeType) {
      case "org" -> {
        budget = snapshot.organization().budget();
        rate = snapshot.organization().rateLimit();
      }
      case "team" -> {
        for (TeamConfig team : snapshot.teams()) {
          if (team.id().equals(scopeId)) {
            budget = team.budget();
            rate = team.rateLimit();
          }
        }
      }
      default -> {
        for (VirtualKeyConfig key : snapshot.virtualKeys()) {
          if (key.id().equals(scopeId)) {
            budget = key.budget();
            rate = key.rateLimit();
          }
        }
      }
    }
    return switch (kind) {
      case "budget" -> budget == null ? null : budget.limitUsd();
      case "rpm" -> rate == null || rate.rpm() == null ? null : BigDecimal.valueOf(rate.rpm());
      case "tpm" -> rate == null || rate.tpm() == null ? null : BigDecimal.valueOf(rate.tpm());
      default -> rate == null || rate.maxConcurrent() == null ? null : BigDecimal.valueOf(rate.maxConcurrent());
    };
  }

  private static boolean enforce(SnapshotConfig snapshot, String scopeType, String scopeId, String kind) {
    return true;
  }
}
