package dev.spillway.controlplane.cache;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.CacheInvalidation;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /api/v1/cache/invalidations}: the shared tier's entries in the scope go, the invalidation is recorded,
 * audited and carried in the snapshots of the next 7 days; team admins invalidate only their own teams and keys.
 * And the background purge of expired entries.
 */
class CacheInvalidationApiIT extends ControlPlaneIntegrationTest {
  private static final String PATH = "/api/v1/cache/invalidations";
  private final SnapshotCodec codec = new SnapshotCodec();

  @Autowired
  CachePurger purger;

  /** Stores a cache entry as a node would, expiring after {@code ttl} (negative: already expired). */
  private void storeEntry(UUID team, UUID key, Duration ttl) {
    jdbc.sql("""
            INSERT INTO cache_entries (team_id, key_id, request_hash, context_hash, model, response, response_kind,
                                       expires_at)
            VALUES (?, ?, ?, 'ctx', 'demo', '\\x7b7d'::bytea, 'openai-chat', ?)""")
        .params(team, key, UUID.randomUUID().toString(), Timestamp.from(Instant.now().plus(ttl))).update();
  }

  private long entriesOfTeam(UUID team) {
    return jdbc.sql("SELECT count(*) FROM cache_entries WHERE team_id = ?").param(team).query(Long.class).single();
  }

  private long entriesOfKey(UUID key) {
    return jdbc.sql("SELECT count(*) FROM cache_entries WHERE key_id = ?").param(key).query(Long.class).single();
  }

  private SnapshotConfig currentSnapshot() {
    awaitSnapshotCaughtUp();
    ApiResponse poll = pollSnapshot(0);
    return codec.decode(poll.body(), poll.header("Spillway-Snapshot-Sha256"));
  }

  private static UUID id(JsonNode created) {
    return UUID.fromString(created.get("id").stringValue());
  }

  private static String body(String scope, Object id) {
    return id == null ? "{\"scope\": \"" + scope + "\"}" : "{\"scope\": \"" + scope + "\", \"id\": \"" + id + "\"}";
  }

  @Test
  void invalidatingATeamDeletesItsEntriesOnlyAndTheNextSnapshotCarriesIt() {
    UUID team = id(createTeam(unique("inv-team")));
    UUID other = id(createTeam(unique("inv-other")));
    UUID key = id(createKey(team.toString(), "k"));
    storeEntry(team, key, Duration.ofHours(1));
    storeEntry(team, null, Duration.ofHours(1));
    storeEntry(other, null, Duration.ofHours(1));
    long version = configVersion();

    JsonNode answer = assertStatus(admin().post(PATH, body("team", team)), 200);

    assertThat(answer.get("scope").stringValue()).isEqualTo("team");
    assertThat(answer.get("id").stringValue()).isEqualTo(team.toString());
    assertThat(answer.get("deleted").asLong()).isEqualTo(2);
    Instant at = Instant.parse(answer.get("at").stringValue());
    assertThat(at).isBetween(Instant.now().minus(Duration.ofMinutes(1)), Instant.now());
    assertThat(entriesOfTeam(team)).isZero();
    assertThat(entriesOfTeam(other)).isEqualTo(1);
    assertThat(configVersion()).isEqualTo(version + 1);
    assertThat(jdbc.sql("SELECT after->>'deleted' FROM audit_events WHERE action = 'cache.invalidate' "
        + "AND resource_id = ? AND config_version = ?").params(team.toString(), version + 1).query(String.class)
        .single()).isEqualTo("2");
    assertThat(currentSnapshot().cacheInvalidations())
        .contains(new CacheInvalidation(CacheInvalidation.Scope.TEAM, team.toString(), at));
  }

  @Test
  void invalidatingAKeyDeletesWhatItStoredAndAllDeletesEveryTeamsEntries() {
    UUID team = id(createTeam(unique("inv-key")));
    UUID other = id(createTeam(unique("inv-all")));
    UUID key = id(createKey(team.toString(), "k"));
    UUID sibling = id(createKey(team.toString(), "sibling"));
    storeEntry(team, key, Duration.ofHours(1));
    storeEntry(team, sibling, Duration.ofHours(1));
    storeEntry(other, null, Duration.ofHours(1));

    JsonNode byKey = assertStatus(admin().post(PATH, body("key", key)), 200);

    assertThat(byKey.get("deleted").asLong()).isEqualTo(1);
    assertThat(entriesOfKey(key)).isZero();
    assertThat(entriesOfKey(sibling)).isEqualTo(1);

    JsonNode all = assertStatus(admin().post(PATH, body("all", null)), 200);

    assertThat(all.get("scope").stringValue()).isEqualTo("all");
    assertThat(all.get("id").isNull()).isTrue();
    assertThat(all.get("deleted").asLong()).isGreaterThanOrEqualTo(2);
    assertThat(entriesOfTeam(team) + entriesOfTeam(other)).isZero();
    assertThat(currentSnapshot().cacheInvalidations()).contains(new CacheInvalidation(CacheInvalidation.Scope.ALL,
        null, Instant.parse(all.get("at").stringValue())));
  }

  @Test
  void aTeamAdminInvalidatesItsOwnTeamAndKeysButNothingElse() {
    UUID own = id(createTeam(unique("inv-own")));
    UUID foreign = id(createTeam(unique("inv-foreign")));
    UUID ownKey = id(createKey(own.toString(), "mine"));
    UUID foreignKey = id(createKey(foreign.toString(), "theirs"));
    storeEntry(foreign, foreignKey, Duration.ofHours(1));
    String teamAdmin = createApiToken("team_admin", own.toString());
    String teamViewer = createApiToken("viewer", own.toString());
    String orgViewer = createApiToken("viewer", null);
    long version = configVersion();
    long audits = auditEventCount();

    assertApiError(bearer(teamAdmin).post(PATH, body("team", foreign)), 403, null);
    assertApiError(bearer(teamAdmin).post(PATH, body("key", foreignKey)), 403, null);
    assertApiError(bearer(teamAdmin).post(PATH, body("all", null)), 403, null);
    assertApiError(bearer(teamViewer).post(PATH, body("team", own)), 403, null);
    assertApiError(bearer(orgViewer).post(PATH, body("team", own)), 403, null);

    assertThat(configVersion()).isEqualTo(version);
    assertThat(auditEventCount()).isEqualTo(audits);
    assertThat(entriesOfTeam(foreign)).isEqualTo(1);
    assertStatus(bearer(teamAdmin).post(PATH, body("team", own)), 200);
    assertStatus(bearer(teamAdmin).post(PATH, body("key", ownKey)), 200);
  }

  @Test
  void refusesABadScopeOrIdNamingTheFieldAndAnUnknownTeamOrKeyWith404() {
    UUID team = id(createTeam(unique("inv-bad")));

    assertApiError(admin().post(PATH, "{}"), 400, "scope");
    assertApiError(admin().post(PATH, body("model", team)), 400, "scope");
    assertApiError(admin().post(PATH, body("team", null)), 400, "id");
    assertApiError(admin().post(PATH, body("key", "not-a-uuid")), 400, "id");
    assertApiError(admin().post(PATH, body("all", team)), 400, "id");
    assertApiError(admin().post(PATH, body("team", UUID.randomUUID())), 404, null);
    assertApiError(admin().post(PATH, body("key", UUID.randomUUID())), 404, null);
  }

  @Test
  void snapshotsCarryTheInvalidationsOfTheLastSevenDaysOnly() {
    UUID recentTeam = UUID.randomUUID();
    UUID oldTeam = UUID.randomUUID();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    jdbc.sql("INSERT INTO cache_invalidations (org_id, scope, target_id, at) VALUES "
            + "('00000000-0000-0000-0000-000000000001', 'team', ?, ?), "
            + "('00000000-0000-0000-0000-000000000001', 'team', ?, ?)")
        .params(recentTeam, Timestamp.from(now.minus(Duration.ofDays(6))), oldTeam,
            Timestamp.from(now.minus(Duration.ofDays(8))))
        .update();
    // Any config change builds a new snapshot.
    createTeam(unique("inv-bump"));

    SnapshotConfig snapshot = currentSnapshot();

    assertThat(snapshot.cacheInvalidations()).contains(new CacheInvalidation(CacheInvalidation.Scope.TEAM,
        recentTeam.toString(), now.minus(Duration.ofDays(6))));
    assertThat(snapshot.cacheInvalidations()).noneMatch(i -> oldTeam.toString().equals(i.id()));
  }

  @Test
  void thePurgeDeletesExpiredEntriesInBatchesAndKeepsLiveOnes() {
    UUID team = id(createTeam(unique("purge")));
    storeEntry(team, null, Duration.ofHours(1));
    int expired = CachePurger.BATCH + 7;
    jdbc.sql("""
            INSERT INTO cache_entries (team_id, request_hash, context_hash, model, response, response_kind,
                                       expires_at)
            SELECT ?, 'expired-' || i, 'ctx', 'demo', '\\x7b7d'::bytea, 'openai-chat', now() - interval '1 second'
            FROM generate_series(1, ?) i""")
        .params(team, expired).update();

    Instant now = Instant.now();

    long deleted = purger.purge(now);

    assertThat(deleted).isGreaterThanOrEqualTo(expired);
    assertThat(entriesOfTeam(team)).isEqualTo(1);
    assertThat(jdbc.sql("SELECT count(*) FROM cache_entries WHERE expires_at < ?").param(Timestamp.from(now))
        .query(Long.class).single()).isZero();
  }
}
