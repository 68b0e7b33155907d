package dev.spillway.controlplane.cache;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamRepository;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
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
 * Cache statistics per team for the admin API and the dashboard's cache page. Counts and savings come from the
 * hourly rollups; the similarity histogram from the request events that carry a similarity (a partial index keeps
 * that read to cache traffic). A period starts at the hour of {@code from}, like the usage API's.
 */
@Service
public class CacheStatsService {
  /** The period when none is given. */
  public static final Duration DEFAULT_PERIOD = Duration.ofDays(7);
  /** Buckets: one below {@link #LOWEST}, then {@link #WIDTH} wide up to 1.0. */
  static final double LOWEST = 0.5;
  static final double WIDTH = 0.05;
  static final int UPPER_BUCKETS = 10;

  private final JdbcClient jdbc;
  private final TeamRepository teams;

  public CacheStatsService(JdbcClient jdbc, TeamRepository teams) {
    this.jdbc = jdbc;
    this.teams = teams;
  }

  /**
   * One entry per team the caller may read (or just {@code teamId}: 403 for a team the caller may not read, 404
   * for an unknown one), by team name. {@code to} is exclusive.
   */
  @Transactional(readOnly = true)
  public List<CacheStats> stats(UUID teamId, Instant from, Instant to) {
    List<Team> selected;
    if (teamId != null) {
      Authz.requireTeamRead(teamId);
      selected = List.of(teams.findById(teamId).orElseThrow(() -> ApiException.notFound("team", teamId)));
    } else {
      Set<UUID> readable = Authz.readableTeamsOrAll();
      selected = teams.findAll().stream().filter(t -> readable == null || readable.contains(t.id())).toList();
    }
    if (selected.isEmpty()) {
      return List.of();
    }
    UUID[] ids = selected.stream().map(Team::id).toArray(UUID[]::new);
    Timestamp start = Timestamp.from(from.truncatedTo(ChronoUnit.HOURS));
    Timestamp end = Timestamp.from(to);
    record Sums(long lookups, long hits, long semanticHits, long shadowLookups, long shadowHits, long savedInput,
        long savedOutput, BigDecimal savedUsd) {}
    Map<UUID, Sums> sums = new HashMap<>();
    jdbc.sql("""
            SELECT team_id, sum(cache_lookups), sum(cache_hits), sum(cache_semantic_hits), sum(cache_shadow_lookups),
                   sum(cache_shadow_hits), sum(cache_saved_input_tokens), sum(cache_saved_output_tokens),
                   sum(cache_saved_usd)
            FROM usage_hourly
            WHERE org_id = ? AND team_id = ANY(?) AND hour >= ? AND hour < ?
            GROUP BY team_id""")
        .params(Organization.DEFAULT_ID, ids, start, end)
        .query(rs -> {
          sums.put(rs.getObject(1, UUID.class), new Sums(rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
              rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getBigDecimal(9)));
        });
    Map<UUID, long[][]> histograms = new HashMap<>();
    // Bucket 0 is below LOWEST; 1..UPPER_BUCKETS are WIDTH wide (width_bucket answers UPPER_BUCKETS + 1 for 1.0).
    // As numeric: the real 0.95 is 0.9499999881 as a double and would fall into the bucket below.
    jdbc.sql("""
            SELECT team_id,
                   CASE WHEN cache_similarity::numeric < ? THEN 0
                        ELSE least(width_bucket(cache_similarity::numeric, ?, 1.0, ?), ?) END,
                   CASE WHEN cache_status LIKE 'hit-%' THEN 0 WHEN cache_status LIKE 'shadow-%' THEN 1 ELSE 2 END,
                   count(*)
            FROM usage_events
            WHERE team_id = ANY(?) AND cache_similarity IS NOT NULL AND occurred_at >= ? AND occurred_at < ?
            GROUP BY 1, 2, 3""")
        .params(BigDecimal.valueOf(LOWEST), BigDecimal.valueOf(LOWEST), UPPER_BUCKETS, UPPER_BUCKETS, ids, start,
            end)
        .query(rs -> {
          long[][] h = histograms.computeIfAbsent(rs.getObject(1, UUID.class), t -> new long[UPPER_BUCKETS + 1][3]);
          h[rs.getInt(2)][rs.getInt(3)] += rs.getLong(4);
        });
    List<CacheStats> result = new ArrayList<>();
    for (Team team : selected) {
      Sums s = sums.getOrDefault(team.id(), new Sums(0, 0, 0, 0, 0, 0, 0, BigDecimal.ZERO));
      long[][] h = histograms.getOrDefault(team.id(), new long[UPPER_BUCKETS + 1][3]);
      List<CacheStats.Bucket> buckets = new ArrayList<>();
      for (int b = 0; b <= UPPER_BUCKETS; b++) {
        double lower = b == 0 ? 0 : round(LOWEST + (b - 1) * WIDTH);
        double upper = b == 0 ? LOWEST : round(LOWEST + b * WIDTH);
        buckets.add(new CacheStats.Bucket(lower, upper, h[b][0], h[b][1], h[b][2]));
      }
      result.add(new CacheStats(team.id(), team.name(), s.lookups(), s.hits() - s.semanticHits(), s.semanticHits(),
          s.shadowLookups(), s.shadowHits(), s.savedInput(), s.savedOutput(), s.savedUsd(),
          buckets));
    }
    result.sort(Comparator.comparing(c -> c.teamName().toLowerCase(Locale.ROOT)));
    return result;
  }

  private static double round(double d) {
    return Math.round(d * 100) / 100.0;
  }
}
