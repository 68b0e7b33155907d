package dev.spillway.controlplane.apitoken;

import dev.spillway.config.Sha256;
import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Fields;
import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.CurrentActor;
import dev.spillway.controlplane.security.RandomTokens;
import dev.spillway.controlplane.security.Role;
import dev.spillway.controlplane.security.TeamRole;
import dev.spillway.controlplane.team.TeamRepository;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Named admin API tokens for automation: random, shown once, stored as SHA-256 with a visible prefix, optionally
 * expiring, revocable, and either org-wide ({@code org_admin}, {@code viewer}) or limited to one team
 * ({@code team_admin}, or {@code viewer} with a {@code team_id}).
 *
 * <p>Authentication reads the token row on every request, so a revocation takes effect at once on every replica.
 * {@code last_used_at} is written at most once a minute per token, off the request thread.
 */
@Service
public class ApiTokenService implements DisposableBean {
  public static final String TOKEN_PREFIX = "sw-at-";
  private static final int SECRET_CHARS = 43;
  private static final int VISIBLE_CHARS = TOKEN_PREFIX.length() + 6;
  private static final Duration TOUCH_INTERVAL = Duration.ofMinutes(1);
  private static final Logger log = LoggerFactory.getLogger(ApiTokenService.class);

  /** A token together with its secret, which exists only in the create response. */
  public record IssuedToken(ApiToken token, String secret) {
    @Override
    public String toString() {
      return "IssuedToken[" + token.name() + ", secret=<secret>]";
    }
  }

  /** A validated create request. */
  public record NewToken(String name, String role, UUID teamId, Instant expiresAt) {}

  private final ApiTokenRepository tokens;
  private final TeamRepository teams;
  private final AuditLog audit;
  private final Clock clock = Clock.systemUTC();
  private final Map<UUID, Instant> lastTouched = new ConcurrentHashMap<>();
  private final ExecutorService toucher = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "api-token-last-used");
    t.setDaemon(true);
    return t;
  });

  public ApiTokenService(ApiTokenRepository tokens, TeamRepository teams, AuditLog audit) {
    this.tokens = tokens;
    this.teams = teams;
    this.audit = audit;
  }

  /** The actor of a presented token, if it is a usable API token. */
  public Optional<Actor> authenticate(String secret) {
    if (secret == null || !secret.startsWith(TOKEN_PREFIX) || secret.length() > 200) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    Optional<ApiToken> found = tokens.findUsableByHash(Sha256.hex(secret), now);
    found.ifPresent(token -> touchLater(token, now));
    return found.map(ApiTokenService::actor);
  }

  static Actor actor(ApiToken token) {
    Role orgRole = null;
    Map<UUID, TeamRole> teamRoles = Map.of();
    switch (token.role()) {
      case "org_admin" -> orgRole = Role.ORG_ADMIN;
      case "viewer" -> {
        if (token.teamId() == null) {
          orgRole = Role.VIEWER;
        } else {
          teamRoles = Map.of(token.teamId(), TeamRole.VIEWER);
        }
      }
      case "team_admin" -> teamRoles = Map.of(token.teamId(), TeamRole.TEAM_ADMIN);
      default -> throw new IllegalStateException("unknown token role " + token.role());
    }
    return new Actor("api_token", token.id().toString(), token.name(), orgRole, teamRoles);
  }

  @Transactional(readOnly = true)
  public List<ApiToken> list(boolean includeRevoked) {
    return tokens.findAll(includeRevoked);
  }

  @Transactional(readOnly = true)
  public ApiToken get(UUID id) {
    return tokens.findById(id).orElseThrow(() -> ApiException.notFound("api token", id));
  }

  @Transactional
  public IssuedToken create(NewToken request) {
    String name = Fields.requireName("name", request.name(), 100);
    if (request.role() == null || request.role().isBlank()) {
      throw ApiException.invalid("role", "is required (org_admin, viewer or team_admin)");
    }
    switch (request.role()) {
      case "org_admin" -> {
        if (request.teamId() != null) {
          throw ApiException.invalid("team_id", "must be absent for role org_admin");
        }
      }
      case "team_admin" -> {
        if (request.teamId() == null) {
          throw ApiException.invalid("team_id", "is required for role team_admin");
        }
      }
      case "viewer" -> { }
      default -> throw ApiException.invalid("role", "must be one of org_admin, viewer, team_admin (got '"
          + request.role() + "')");
    }
    if (request.teamId() != null && teams.findById(request.teamId()).isEmpty()) {
      throw ApiException.invalid("team_id", "team " + request.teamId() + " does not exist");
    }
    Instant now = clock.instant();
    if (request.expiresAt() != null && !request.expiresAt().isAfter(now)) {
      throw ApiException.invalid("expires_at", "must be in the future");
    }
    tokens.findActiveByName(name).ifPresent(existing -> {
      throw ApiException.conflict("name", "an active API token named " + name + " already exists");
    });
    String secret = RandomTokens.generate(TOKEN_PREFIX, SECRET_CHARS);
    Actor creator = CurrentActor.get();
    ApiToken token = new ApiToken(UUID.randomUUID(), name, secret.substring(0, VISIBLE_CHARS), request.role(),
        request.teamId(), creator.type() + ":" + creator.name(), now, request.expiresAt(), null, null);
    tokens.insert(token, Sha256.hex(secret));
    audit.record("api_token.create", "api_token", token.id(), null, auditView(token), null);
    return new IssuedToken(token, secret);
  }

  @Transactional
  public void revoke(UUID id) {
    ApiToken token = get(id);
    if (token.revokedAt() != null) {
      return;
    }
    Actor actor = CurrentActor.get();
    tokens.revoke(id, clock.instant(), actor.type() + ":" + actor.name());
    lastTouched.remove(id);
    audit.record("api_token.revoke", "api_token", id, Map.of("revoked", false), Map.of("revoked", true), null);
  }

  private void touchLater(ApiToken token, Instant now) {
    Instant notBefore = now.minus(TOUCH_INTERVAL);
    if (token.lastUsedAt() != null && token.lastUsedAt().isAfter(notBefore)) {
      return;
    }
    Instant previous = lastTouched.get(token.id());
    if (previous != null && previous.isAfter(notBefore)) {
      return;
    }
    lastTouched.put(token.id(), now);
    try {
      toucher.execute(() -> {
        try {
          tokens.touch(token.id(), now, notBefore);
        } catch (RuntimeException e) {
          log.warn("could not record last use of API token {}: {}", token.id(), e.getMessage());
        }
      });
    } catch (RejectedExecutionException e) {
      // Shutting down: the next start records the next use.
    }
  }

  private static Map<String, Object> auditView(ApiToken token) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("name", token.name());
    view.put("role", token.role());
    view.put("team_id", token.teamId());
    view.put("token_prefix", token.tokenPrefix());
    view.put("expires_at", token.expiresAt());
    return view;
  }

  @Override
  public void destroy() {
    toucher.shutdown();
  }
}
