package dev.spillway.controlplane.cache;

import dev.spillway.config.CacheInvalidation;
import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Fields;
import dev.spillway.controlplane.configversion.ConfigVersions;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.team.TeamRepository;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyRepository;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Invalidates cached answers: deletes the shared tier's entries in the scope and records the invalidation in one
 * transaction that also bumps the config version, so the next snapshot tells every node to drop what its memory
 * holds from before that instant. Org admins invalidate anything; a team admin its own teams and their keys.
 */
@Service
public class CacheInvalidationService {
  /**
   * How long snapshots carry an invalidation: the longest TTL, after which every entry it covers has expired
   * anyway.
   */
  public static final Duration CARRIED_FOR = Duration.ofSeconds(Fields.MAX_CACHE_TTL_SECONDS);

  /** What an invalidation did: its scope, id and instant, and the shared tier's entries it deleted. */
  public record Result(CacheInvalidation invalidation, long deleted) {}

  private final CacheRepository cache;
  private final TeamRepository teams;
  private final VirtualKeyRepository keys;
  private final ConfigVersions versions;
  private final AuditLog audit;
  private final Clock clock;

  public CacheInvalidationService(CacheRepository cache, TeamRepository teams, VirtualKeyRepository keys,
      ConfigVersions versions, AuditLog audit) {
    this.cache = cache;
    this.teams = teams;
    this.keys = keys;
    this.versions = versions;
    this.audit = audit;
    this.clock = Clock.systemUTC();
  }

  /**
   * Invalidates {@code scope} ({@code all}, {@code team} or {@code key}) with {@code id} (none for {@code all}).
   * 400 names the field, 404 an unknown team or key, 403 a scope the caller does not administer.
   */
  @Transactional
  public Result invalidate(String scope, String id) {
    if (scope == null || scope.isBlank()) {
      throw ApiException.invalid("scope", "is required (all, team or key)");
    }
    CacheInvalidation.Scope parsed = CacheInvalidation.Scope.find(scope).orElseThrow(() -> ApiException.invalid(
        "scope", "must be one of all, team, key (got '" + scope + "')"));
    UUID target = switch (parsed) {
      case ALL -> {
        if (id != null) {
          throw ApiException.invalid("id", "must be absent for scope all (got '" + id + "')");
        }
        Authz.requireOrgAdmin();
        yield null;
      }
      case TEAM -> {
        UUID teamId = requireId(id, "team");
        Authz.requireTeamAdmin(teamId);
        teams.findById(teamId).orElseThrow(() -> ApiException.notFound("team", teamId));
        yield teamId;
      }
      case KEY -> {
        UUID keyId = requireId(id, "key");
        VirtualKey key = keys.findById(keyId).orElseThrow(() -> ApiException.notFound("virtual key", keyId));
        Authz.requireTeamAdmin(key.teamId());
        yield keyId;
      }
    };
    // PostgreSQL keeps microseconds: the instant answered is the one stored and carried in snapshots.
    Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
    CacheInvalidation invalidation = new CacheInvalidation(parsed, target == null ? null : target.toString(), at);
    long deleted = cache.deleteEntries(parsed, target);
    cache.recordInvalidation(invalidation, deleted);
    long version = versions.bump();
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("scope", parsed.wireName());
    view.put("id", invalidation.id());
    view.put("at", at.toString());
    view.put("deleted", deleted);
    audit.record("cache.invalidate", "cache", invalidation.id(), null, view, version);
    return new Result(invalidation, deleted);
  }

  /** The invalidations a snapshot of a config changed at {@code changedAt} carries. */
  @Transactional(readOnly = true)
  public List<CacheInvalidation> carriedAt(Instant changedAt) {
    return cache.invalidationsSince(changedAt.minus(CARRIED_FOR));
  }

  private static UUID requireId(String id, String scope) {
    if (id == null || id.isBlank()) {
      throw ApiException.invalid("id", "is required for scope " + scope);
    }
    try {
      return UUID.fromString(id.strip());
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("id", "is not a " + scope + " id (got '" + id + "')");
    }
  }
}
