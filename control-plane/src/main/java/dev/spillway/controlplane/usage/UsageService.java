package dev.spillway.controlplane.usage;

import dev.spillway.config.BudgetPeriod;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.security.Authz;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Recorded usage, read from the hourly rollups ({@code usage_hourly}) and, for latency percentiles, the request
 * events ({@code usage_events}). Nothing is estimated: where nothing was recorded the answer is zero (or, for
 * latency, no value). Callers see only the teams they may read.
 */
@Service
public class UsageService {
  /** What rows are grouped by. */
  public enum GroupBy {
    TEAM("team_id"), KEY("key_id"), MODEL("model"), PROVIDER("provider"), DAY("date_trunc('day', hour)");

    private final String column;

    GroupBy(String column) {
      this.column = column;
    }

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static GroupBy parse(String value) {
      for (GroupBy g : values()) {
        if (g.wireName().equals(value)) {
          return g;
        }
      }
      throw ApiException.invalid("group_by", "must be one of team, key, model, provider, day (got '" + value + "')");
    }
  }

  /** Filters: null means no filter. {@code to} is exclusive. */
  public record Query(UUID teamId, UUID keyId, String model, Instant from, Instant to, GroupBy groupBy) {}

  /**
   * One group's sums. {@code refusals} are requests a limit refused (they are errors too); {@code shadowRefusals}
   * are requests a limit in shadow mode would have refused, and were served.
   */
  public record Row(String group, long requests, long errors, long inputTokens, long outputTokens,
      long cachedInputTokens, BigDecimal spendUsd, long cacheHits, long refusals, long shadowRefusals) {}

  /**
   * Sums over the filtered rollups. {@code unpricedRequests} were served by a model without a price: their cost
   * is in {@code spendUsd} as 0, so the spend is a lower bound while there are any. Refusals as in {@link Row}.
   */
  public record Totals(long requests, long errors, long inputTokens, long outputTokens, BigDecimal spendUsd,
      long cacheHits, long latencyMsSum, long unpricedRequests, long refusals, long shadowRefusals) {

    public double errorRate() {
      return requests == 0 ? 0 : (double) errors / requests;
    }

    public double cacheHitRate() {
      return requests == 0 ? 0 : (double) cacheHits / requests;
    }
  }

  /** A provider model that served requests without a price; see {@link #unpriced}. */
  public record UnpricedModel(String provider, String model, long requests, long inputTokens, long outputTokens,
      Instant lastSeen) {}

  /** One hour of the overview's charts; latency percentiles are null where no request was recorded. */
  public record HourPoint(Instant hour, long requests, long errors, BigDecimal spendUsd, long cacheHits,
      Double p50LatencyMs, Double p95LatencyMs) {}

  /** How far back the unpriced-models list looks. */
  public static final Duration UNPRICED_WINDOW = Duration.ofDays(30);

  private final JdbcClient jdbc;

  public UsageService(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Transactional(readOnly = true)
  public List<Row> aggregate(Query q) {
    GroupBy groupBy = q.groupBy() == null ? GroupBy.TEAM : q.groupBy();
    Filter f = filter(q);
    String group = groupBy == GroupBy.DAY ? "to_char(date_trunc('day', hour), 'YYYY-MM-DD')"
        : groupBy.column + "::text";
    return jdbc.sql("SELECT " + group + " AS g, sum(requests), sum(errors), sum(input_tokens), sum(output_tokens), "
            + "sum(cached_input_tokens), sum(cost_usd), sum(cache_hits), sum(refusals), sum(shadow_refusals) "
            + "FROM usage_hourly WHERE " + f.where
            + " GROUP BY 1 ORDER BY " + (groupBy == GroupBy.DAY ? "1" : "7 DESC, 2 DESC, 1") + " LIMIT 10000")
        .params(f.params)
        .query((rs, i) -> new Row(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
            rs.getLong(6), rs.getBigDecimal(7), rs.getLong(8), rs.getLong(9), rs.getLong(10)))
        .list();
  }

  @Transactional(readOnly = true)
  public Totals totals(Query q) {
    Filter f = filter(q);
    return jdbc.sql("SELECT coalesce(sum(requests), 0), coalesce(sum(errors), 0), coalesce(sum(input_tokens), 0), "
            + "coalesce(sum(output_tokens), 0), coalesce(sum(cost_usd), 0), coalesce(sum(cache_hits), 0), "
            + "coalesce(sum(latency_ms_sum), 0), coalesce(sum(unpriced_requests), 0), coalesce(sum(refusals), 0), "
            + "coalesce(sum(shadow_refusals), 0) FROM usage_hourly WHERE " + f.where)
        .params(f.params)
        .query((rs, i) -> new Totals(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getBigDecimal(5),
            rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getLong(10)))
        .single();
  }

  /**
   * Models that served requests without a price since {@code since} (the caller's readable teams, or one team),
   * most requests first. Read from the hourly rollups: {@code requests} counts the unpriced requests, the tokens
   * are those of the hours in which any were recorded (a price set in the middle of an hour leaves that hour's
   * priced tokens in), {@code lastSeen} is the last such hour.
   */
  @Transactional(readOnly = true)
  public List<UnpricedModel> unpriced(UUID teamId, Instant since) {
    Filter f = filter(new Query(teamId, null, null, since, null, null));
    return jdbc.sql("SELECT provider, model, sum(unpriced_requests), sum(input_tokens), sum(output_tokens), "
            + "max(hour) FROM usage_hourly WHERE " + f.where + " AND unpriced_requests > 0 GROUP BY provider, model "
            + "ORDER BY 3 DESC, 1, 2 LIMIT 1000")
        .params(f.params)
        .query((rs, i) -> new UnpricedModel(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4),
            rs.getLong(5), rs.getTimestamp(6).toInstant()))
        .list();
  }

  /** Every hour from {@code from} to {@code to} (hours without usage are zero), for the overview's charts. */
  @Transactional(readOnly = true)
  public List<HourPoint> hourly(Instant from, Instant to) {
    Instant start = from.truncatedTo(ChronoUnit.HOURS);
    Query q = new Query(null, null, null, start, to, null);
    Filter f = filter(q);
    Map<Instant, HourPoint> byHour = new HashMap<>();
    jdbc.sql("SELECT hour, sum(requests), sum(errors), sum(cost_usd), sum(cache_hits) FROM usage_hourly WHERE "
            + f.where + " GROUP BY hour").params(f.params)
        .query(rs -> {
          Instant hour = rs.getTimestamp(1).toInstant();
          byHour.put(hour, new HourPoint(hour, rs.getLong(2), rs.getLong(3), rs.getBigDecimal(4), rs.getLong(5),
              null, null));
        });
    Map<Instant, double[]> latency = new HashMap<>();
    Filter ef = eventFilter(start, to);
    jdbc.sql("SELECT date_trunc('hour', occurred_at), percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), "
            + "percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FROM usage_events WHERE " + ef.where
            + " AND latency_ms IS NOT NULL GROUP BY 1").params(ef.params)
        .query(rs -> {
          latency.put(rs.getTimestamp(1).toInstant(), new double[] {rs.getDouble(2), rs.getDouble(3)});
        });
    List<HourPoint> points = new ArrayList<>();
    for (Instant h = start; h.isBefore(to); h = h.plus(Duration.ofHours(1))) {
      HourPoint p = byHour.getOrDefault(h, new HourPoint(h, 0, 0, BigDecimal.ZERO, 0, null, null));
      double[] l = latency.get(h);
      points.add(new HourPoint(h, p.requests(), p.errors(), p.spendUsd(), p.cacheHits(), l == null ? null : l[0],
          l == null ? null : l[1]));
    }
    return points;
  }

  /** When the current period of a budget began (UTC); the start of time for {@code total}. */
  public static Instant periodStart(BudgetPeriod period, Instant now) {
    LocalDate today = now.atZone(ZoneOffset.UTC).toLocalDate();
    return switch (period) {
      case DAILY -> today.atStartOfDay(ZoneOffset.UTC).toInstant();
      case WEEKLY -> today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).atStartOfDay(ZoneOffset.UTC)
          .toInstant();
      case MONTHLY -> today.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      case TOTAL -> Instant.EPOCH;
    };
  }

  /**
   * When the period of a budget that began at {@code start} ends (exclusive), or null for {@code total}, which never
   * ends.
   */
  public static Instant periodEnd(BudgetPeriod period, Instant start) {
    java.time.ZonedDateTime begin = start.atZone(ZoneOffset.UTC);
    return switch (period) {
      case DAILY -> begin.plusDays(1).toInstant();
      case WEEKLY -> begin.plusWeeks(1).toInstant();
      case MONTHLY -> begin.plusMonths(1).toInstant();
      case TOTAL -> null;
    };
  }

  /** Spend of the whole organisation since {@code since}. */
  @Transactional(readOnly = true)
  public BigDecimal orgSpendSince(Instant since) {
    return orgSpendBetween(since, null);
  }

  /** Spend of the whole organisation in {@code [from, to)} ({@code to} null: up to now). */
  @Transactional(readOnly = true)
  public BigDecimal orgSpendBetween(Instant from, Instant to) {
    Authz.requireOrgRead();
    return jdbc.sql("SELECT coalesce(sum(cost_usd), 0) FROM usage_hourly WHERE org_id = ? AND hour >= ? "
            + "AND hour < coalesce(?::timestamptz, 'infinity')")
        .params(Organization.DEFAULT_ID, Timestamp.from(since(from)), to == null ? null : Timestamp.from(to))
        .query(BigDecimal.class).single();
  }

  /** Spend per team since {@code since}, for the given teams (readable ones only). */
  @Transactional(readOnly = true)
  public Map<UUID, BigDecimal> spendByTeamSince(Collection<UUID> teamIds, Instant since) {
    return spendByTeamBetween(teamIds, since, null);
  }

  /** Spend per team in {@code [from, to)} ({@code to} null: up to now), for the given teams (readable ones only). */
  @Transactional(readOnly = true)
  public Map<UUID, BigDecimal> spendByTeamBetween(Collection<UUID> teamIds, Instant from, Instant to) {
    return spendBetween("team_id", readable(teamIds), from, to);
  }

  /** Spend per key since {@code since}; keys of teams the caller may not read are left out by the caller. */
  @Transactional(readOnly = true)
  public Map<UUID, BigDecimal> spendByKeySince(Collection<UUID> keyIds, Instant since) {
    return spendByKeyBetween(keyIds, since, null);
  }

  /** Spend per key in {@code [from, to)} ({@code to} null: up to now); keys of unreadable teams are left out. */
  @Transactional(readOnly = true)
  public Map<UUID, BigDecimal> spendByKeyBetween(Collection<UUID> keyIds, Instant from, Instant to) {
    Set<UUID> readableTeams = Authz.readableTeamsOrAll();
    Map<UUID, BigDecimal> result = new HashMap<>();
    if (keyIds.isEmpty()) {
      return result;
    }
    StringBuilder sql = new StringBuilder("SELECT key_id, sum(cost_usd) FROM usage_hourly WHERE key_id = ANY(?) "
        + "AND hour >= ? AND hour < coalesce(?::timestamptz, 'infinity')");
    List<Object> params = new ArrayList<>(List.of(keyIds.toArray(UUID[]::new), Timestamp.from(since(from))));
    params.add(to == null ? null : Timestamp.from(to));
    if (readableTeams != null) {
      sql.append(" AND team_id = ANY(?)");
      params.add(readableTeams.toArray(UUID[]::new));
    }
    jdbc.sql(sql + " GROUP BY key_id").params(params)
        .query(rs -> {
          result.put(rs.getObject(1, UUID.class), rs.getBigDecimal(2));
        });
    return result;
  }

  /**
   * Each team's spend in the current period of its budget ({@code periodByTeam}; teams without a budget are given
   * the period to show, e.g. monthly). Missing teams spent nothing.
   */
  @Transactional(readOnly = true)
  public Map<UUID, BigDecimal> teamSpendInPeriods(Map<UUID, BudgetPeriod> periodByTeam) {
    return inPeriods(periodByTeam, this::spendByTeamSince);
  }

  /** Each key's spend in the current period of its budget; see {@link #teamSpendInPeriods}. */
  @Transactional(readOnly = true)
  public Map<UUID, BigDecimal> keySpendInPeriods(Map<UUID, BudgetPeriod> periodByKey) {
    return inPeriods(periodByKey, this::spendByKeySince);
  }

  private static Map<UUID, BigDecimal> inPeriods(Map<UUID, BudgetPeriod> periods,
      java.util.function.BiFunction<Collection<UUID>, Instant, Map<UUID, BigDecimal>> query) {
    Instant now = Instant.now();
    Map<BudgetPeriod, List<UUID>> byPeriod = new HashMap<>();
    periods.forEach((id, period) -> byPeriod.computeIfAbsent(period, p -> new ArrayList<>()).add(id));
    Map<UUID, BigDecimal> result = new HashMap<>();
    byPeriod.forEach((period, ids) -> result.putAll(query.apply(ids, periodStart(period, now))));
    periods.keySet().forEach(id -> result.putIfAbsent(id, BigDecimal.ZERO));
    return result;
  }

  private Map<UUID, BigDecimal> spendBetween(String column, Collection<UUID> ids, Instant from, Instant to) {
    Map<UUID, BigDecimal> result = new HashMap<>();
    if (ids.isEmpty()) {
      return result;
    }
    jdbc.sql("SELECT " + column + ", sum(cost_usd) FROM usage_hourly WHERE " + column + " = ANY(?) AND hour >= ? "
            + "AND hour < coalesce(?::timestamptz, 'infinity') GROUP BY 1")
        .params(ids.toArray(UUID[]::new), Timestamp.from(since(from)), to == null ? null : Timestamp.from(to))
        .query(rs -> {
          result.put(rs.getObject(1, UUID.class), rs.getBigDecimal(2));
        });
    return result;
  }

  /** Rollups are hourly: a start inside an hour counts that whole hour. */
  private static Instant since(Instant from) {
    return from.truncatedTo(ChronoUnit.HOURS);
  }

  private static Collection<UUID> readable(Collection<UUID> teamIds) {
    Set<UUID> readable = Authz.readableTeamsOrAll();
    return readable == null ? teamIds : teamIds.stream().filter(readable::contains).toList();
  }

  private record Filter(String where, List<Object> params) {}

  /** The WHERE clause of a usage query, limited to the teams the caller may read. */
  private static Filter filter(Query q) {
    StringBuilder where = new StringBuilder("org_id = ?");
    List<Object> params = new ArrayList<>(List.of(Organization.DEFAULT_ID));
    if (q.teamId() != null) {
      Authz.requireTeamRead(q.teamId());
      where.append(" AND team_id = ?");
      params.add(q.teamId());
    } else {
      Set<UUID> readable = Authz.readableTeamsOrAll();
      if (readable != null) {
        where.append(" AND team_id = ANY(?)");
        params.add(readable.toArray(UUID[]::new));
      }
    }
    if (q.keyId() != null) {
      where.append(" AND key_id = ?");
      params.add(q.keyId());
    }
    if (q.model() != null && !q.model().isBlank()) {
      where.append(" AND model = ?");
      params.add(q.model().strip());
    }
    if (q.from() != null) {
      where.append(" AND hour >= ?");
      params.add(Timestamp.from(q.from().truncatedTo(ChronoUnit.HOURS)));
    }
    if (q.to() != null) {
      where.append(" AND hour < ?");
      params.add(Timestamp.from(q.to()));
    }
    return new Filter(where.toString(), params);
  }

  private static Filter eventFilter(Instant from, Instant to) {
    StringBuilder where = new StringBuilder("org_id = ? AND occurred_at >= ? AND occurred_at < ?");
    List<Object> params = new ArrayList<>(List.of(Organization.DEFAULT_ID, Timestamp.from(from), Timestamp.from(to)));
    Set<UUID> readable = Authz.readableTeamsOrAll();
    if (readable != null) {
      where.append(" AND team_id = ANY(?)");
      params.add(readable.toArray(UUID[]::new));
    }
    return new Filter(where.toString(), params);
  }
}
