package dev.spillway.controlplane.virtualkey;

import dev.spillway.config.Sha256;
import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.configversion.ConfigVersions;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.security.RandomTokens;
import dev.spillway.controlplane.team.TeamRepository;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class VirtualKeyService {
  public static final String KEY_PREFIX = "sk-sw-";
  private static final int SECRET_CHARS = 43;
  private static final int VISIBLE_CHARS = KEY_PREFIX.length() + 6;
  private static final int MAX_NAME_LENGTH = 100;

  /** A key together with its secret, which exists only in this response. */
  public record IssuedKey(VirtualKey key, String secret) {
    @Override
    public String toString() {
      return "IssuedKey[" + key + ", secret=<secret>]";
    }
  }

  private final VirtualKeyRepository keys;
  private final TeamRepository teams;
  private final ConfigVersions versions;
  private final AuditLog audit;
  private final Clock clock;

  public VirtualKeyService(VirtualKeyRepository keys, TeamRepository teams, ConfigVersions versions, AuditLog audit) {
    this.keys = keys;
    this.teams = teams;
    this.versions = versions;
    this.audit = audit;
    this.clock = Clock.systemUTC();
  }

  @Transactional(readOnly = true)
  public List<VirtualKey> list(UUID teamId, VirtualKey.Status status, int limit, int offset) {
    java.util.Collection<UUID> teamIds;
    if (teamId != null) {
      Authz.requireTeamRead(teamId);
      teamIds = List.of(teamId);
    } else {
      teamIds = Authz.readableTeamsOrAll();
    }
    return keys.find(teamIds, status, limit, offset);
  }

  /** One page of a key search with the number of all matches. */
  public record Page(List<VirtualKey> rows, int total) {}

  /** The dashboard's key table: the caller's readable teams only (or one of them). */
  @Transactional(readOnly = true)
  public Page search(UUID teamId, VirtualKey.Status status, String text, String sort, boolean descending, int limit,
      int offset) {
    java.util.Collection<UUID> teamIds;
    if (teamId != null) {
      Authz.requireTeamRead(teamId);
      teamIds = List.of(teamId);
    } else {
      teamIds = Authz.readableTeamsOrAll();
    }
    VirtualKeyRepository.Search search = new VirtualKeyRepository.Search(teamIds, status, text, sort, descending);
    return new Page(keys.search(search, limit, offset), keys.count(search));
  }

  /** A key the caller may read; 403 for a key of another team. */
  @Transactional(readOnly = true)
  public VirtualKey get(UUID id) {
    VirtualKey key = find(id);
    Authz.requireTeamRead(key.teamId());
    return key;
  }

  private VirtualKey find(UUID id) {
    return keys.findById(id).orElseThrow(() -> ApiException.notFound("virtual key", id));
  }

  /** A key the caller administers; 403 for a key of another team. */
  private VirtualKey getForChange(UUID id) {
    VirtualKey key = find(id);
    Authz.requireTeamAdmin(key.teamId());
    return key;
  }

  @Transactional
  public IssuedKey create(VirtualKeyRequest request) {
    return create(request, RandomTokens.generate(KEY_PREFIX, SECRET_CHARS));
  }

  /**
   * Creates a key with a secret chosen elsewhere (a declarative config takes it from the deployment's secret
   * store); the secret must look like one this service would issue.
   */
  @Transactional
  public IssuedKey create(VirtualKeyRequest request, String secret) {
    requireAdminOfRequestedTeam(request);
    Instant now = clock.instant();
    VirtualKeyRequest.Valid valid = request.validate(now, true);
    Authz.requireFullContentAllowed(null, valid.logging());
    requireTeam(valid.teamId());
    requireUniqueName(valid.teamId(), valid.name(), null);
    requireWellFormedSecret("key", secret);
    if (keys.findByHash(Sha256.hex(secret)).isPresent()) {
      throw ApiException.conflict("key", "another virtual key already has this secret");
    }
    VirtualKey key = new VirtualKey(UUID.randomUUID(), valid.name(), valid.teamId(), Sha256.hex(secret),
        secret.substring(0, VISIBLE_CHARS), valid.models(), valid.budget(), valid.rateLimit(), valid.cache(),
        valid.logging(), valid.expiresAt(), VirtualKey.Status.ACTIVE, valid.metadata(), null, now, now, null);
    keys.save(key);
    long version = versions.bump();
    audit.record("virtual_key.create", "virtual_key", key.id(), null, VirtualKeyResponse.of(key).auditView(), version);
    return new IssuedKey(key, secret);
  }

  /** Replaces a key's secret in place (declarative config: the referenced secret changed). */
  @Transactional
  public VirtualKey replaceSecret(UUID id, String secret) {
    VirtualKey before = getForChange(id);
    requireWellFormedSecret("key", secret);
    String hash = Sha256.hex(secret);
    if (hash.equals(before.keyHash())) {
      return before;
    }
    if (keys.findByHash(hash).isPresent()) {
      throw ApiException.conflict("key", "another virtual key already has this secret");
    }
    String prefix = secret.substring(0, VISIBLE_CHARS);
    keys.replaceSecret(id, hash, prefix, clock.instant());
    long version = versions.bump();
    audit.record("virtual_key.replace_secret", "virtual_key", id, java.util.Map.of("key_prefix", before.keyPrefix()),
        java.util.Map.of("key_prefix", prefix), version);
    return find(id);
  }

  /** {@code sk-sw-} and at least 32 base62 characters: enough entropy, and nodes recognise it as a key. */
  public static void requireWellFormedSecret(String field, String secret) {
    if (secret == null || !secret.startsWith(KEY_PREFIX)
        || !secret.substring(KEY_PREFIX.length()).matches("[0-9A-Za-z]{32,128}")) {
      throw ApiException.invalid(field, "must be sk-sw- followed by 32 to 128 letters and digits");
    }
  }

  private static void requireAdminOfRequestedTeam(VirtualKeyRequest request) {
    if (request.teamId() != null) {
      try {
        Authz.requireTeamAdmin(UUID.fromString(request.teamId()));
      } catch (IllegalArgumentException e) {
        // Malformed: validate() names the field.
      }
    }
  }

  @Transactional
  public VirtualKey update(UUID id, VirtualKeyRequest request) {
    VirtualKey before = getForChange(id);
    if (before.status() == VirtualKey.Status.REVOKED) {
      throw ApiException.conflict("status", "virtual key " + id + " is revoked and cannot be changed");
    }
    VirtualKeyRequest.Valid valid = request.validate(clock.instant(), false, before.metadata());
    Authz.requireFullContentAllowed(before.logging(), valid.logging());
    if (!valid.teamId().equals(before.teamId())) {
      throw ApiException.invalid("team_id", "cannot be changed; create a key in the other team");
    }
    requireUniqueName(valid.teamId(), valid.name(), id);
    VirtualKey after = new VirtualKey(id, valid.name(), before.teamId(), before.keyHash(), before.keyPrefix(),
        valid.models(), valid.budget(), valid.rateLimit(), valid.cache(), valid.logging(), valid.expiresAt(),
        before.status(), valid.metadata(), before.rotatedFrom(), before.createdAt(), clock.instant(), null);
    keys.save(after);
    long version = versions.bump();
    audit.record("virtual_key.update", "virtual_key", id, VirtualKeyResponse.of(before).auditView(),
        VirtualKeyResponse.of(after).auditView(), version);
    return after;
  }

  /** Revokes the key: it stays listed (for usage history) but no node accepts it any more. */
  @Transactional
  public void revoke(UUID id) {
    VirtualKey key = getForChange(id);
    if (key.status() == VirtualKey.Status.REVOKED) {
      return;
    }
    keys.revoke(id, clock.instant());
    long version = versions.bump();
    audit.record("virtual_key.revoke", "virtual_key", id, java.util.Map.of("status", "active"),
        java.util.Map.of("status", "revoked"), version);
  }

  /**
   * Issues a new secret with the same settings. The old key is revoked at once, or keeps working until the end of
   * the grace period (its expiry is moved forward to then).
   */
  @Transactional
  public IssuedKey rotate(UUID id, Duration gracePeriod) {
    VirtualKey old = getForChange(id);
    if (old.status() == VirtualKey.Status.REVOKED) {
      throw ApiException.conflict("status", "virtual key " + id + " is revoked and cannot be rotated");
    }
    if (gracePeriod.isNegative() || gracePeriod.compareTo(Duration.ofDays(30)) > 0) {
      throw ApiException.invalid("grace_period_seconds", "must be between 0 and 2592000");
    }
    Instant now = clock.instant();
    String secret = RandomTokens.generate(KEY_PREFIX, SECRET_CHARS);
    VirtualKey fresh = new VirtualKey(UUID.randomUUID(), old.name(), old.teamId(), Sha256.hex(secret),
        secret.substring(0, VISIBLE_CHARS), old.models(), old.budget(), old.rateLimit(), old.cache(), old.logging(),
        old.expiresAt(), VirtualKey.Status.ACTIVE, old.metadata(), old.id(), now, now, null);
    if (gracePeriod.isZero()) {
      keys.revoke(old.id(), now);
    } else {
      Instant graceEnd = now.plus(gracePeriod);
      Instant end = old.expiresAt() != null && old.expiresAt().isBefore(graceEnd) ? old.expiresAt() : graceEnd;
      // The old row gives up its name so the new key can take it; both work until the grace period ends.
      keys.save(new VirtualKey(old.id(), rotatedName(old.name(), now), old.teamId(), old.keyHash(),
          old.keyPrefix(), old.models(), old.budget(), old.rateLimit(), old.cache(), old.logging(), end,
          old.status(), old.metadata(), old.rotatedFrom(), old.createdAt(), now, null));
    }
    keys.save(fresh);
    long version = versions.bump();
    audit.record("virtual_key.rotate", "virtual_key", old.id(), java.util.Map.of("key_prefix", old.keyPrefix()),
        java.util.Map.of("key_prefix", fresh.keyPrefix(), "new_key_id", fresh.id().toString(),
            "grace_period_seconds", gracePeriod.toSeconds()), version);
    return new IssuedKey(fresh, secret);
  }

  /** The old key's new name; shortened so it stays within the 100 characters a name may have. */
  private static String rotatedName(String name, Instant now) {
    String suffix = " (rotated " + now + ")";
    int room = MAX_NAME_LENGTH - suffix.length();
    if (name.length() <= room) {
      return name + suffix;
    }
    int cut = Character.isHighSurrogate(name.charAt(room - 1)) ? room - 1 : room;
    return name.substring(0, cut) + suffix;
  }

  private void requireTeam(UUID teamId) {
    if (teams.findById(teamId).isEmpty()) {
      throw ApiException.invalid("team_id", "team " + teamId + " does not exist");
    }
  }

  private void requireUniqueName(UUID teamId, String name, UUID self) {
    keys.findActiveByName(teamId, name).filter(existing -> !existing.id().equals(self)).ifPresent(existing -> {
      throw ApiException.conflict("name", "the team already has an active key named " + name);
    });
  }
}
