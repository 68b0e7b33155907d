package dev.spillway.controlplane.team;

import dev.spillway.config.LoggingConfig;
import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Fields;
import dev.spillway.controlplane.common.LoggingBody;
import dev.spillway.controlplane.configversion.ConfigVersions;
import dev.spillway.controlplane.security.Authz;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class TeamService {
  private final TeamRepository teams;
  private final ConfigVersions versions;
  private final AuditLog audit;

  public TeamService(TeamRepository teams, ConfigVersions versions, AuditLog audit) {
    this.teams = teams;
    this.versions = versions;
    this.audit = audit;
  }

  @Transactional(readOnly = true)
  public List<Team> list() {
    return teams.findAll();
  }

  @Transactional(readOnly = true)
  public Team get(UUID id) {
    return teams.findById(id).orElseThrow(() -> ApiException.notFound("team", id));
  }

  @Transactional
  public Team create(TeamRequest request) {
    TeamRequest.Valid valid = request.validate();
    Authz.requireFullContentAllowed(null, valid.logging());
    requireUniqueName(valid.name(), null);
    Instant now = Instant.now();
    Team team = new Team(UUID.randomUUID(), valid.name(), valid.description(), valid.budget(), valid.rateLimit(),
        valid.cache(), valid.logging(), valid.metadata(), now, now);
    teams.save(team);
    long version = versions.bump();
    audit.record("team.create", "team", team.id(), null, auditView(team), version);
    return team;
  }

  @Transactional
  public Team update(UUID id, TeamRequest request) {
    Team before = get(id);
    TeamRequest.Valid valid = request.validate();
    Authz.requireFullContentAllowed(before.logging(), valid.logging());
    requireUniqueName(valid.name(), id);
    Team after = new Team(id, valid.name(), valid.description(), valid.budget(), valid.rateLimit(), valid.cache(),
        valid.logging(), valid.metadata(), before.createdAt(), Instant.now());
    teams.save(after);
    long version = versions.bump();
    audit.record("team.update", "team", id, auditView(before), auditView(after), version);
    return after;
  }

  /**
   * Replaces only the team's request-log settings: what a team admin may change of its own team (org admins may
   * change everything through {@link #update}). Audited as a team update.
   */
  @Transactional
  public Team updateLogging(UUID id, LoggingBody logging) {
    Authz.requireTeamAdmin(id);
    Team before = get(id);
    LoggingConfig valid = Fields.logging("logging", logging);
    Authz.requireFullContentAllowed(before.logging(), valid);
    Team after = new Team(id, before.name(), before.description(), before.budget(), before.rateLimit(),
        before.cache(), valid, before.metadata(), before.createdAt(), Instant.now());
    teams.save(after);
    long version = versions.bump();
    audit.record("team.update", "team", id, auditView(before), auditView(after), version);
    return after;
  }

  @Transactional
  public void delete(UUID id) {
    Team team = get(id);
    List<String> keys = teams.activeKeyNames(id, 11);
    if (!keys.isEmpty()) {
      String listed = String.join(", ", keys.subList(0, Math.min(10, keys.size()))) + (keys.size() > 10 ? ", …" : "");
      throw ApiException.conflict("id", "team " + team.name() + " still has active virtual keys (" + listed
          + "); revoke them first");
    }
    teams.delete(id);
    long version = versions.bump();
    audit.record("team.delete", "team", id, auditView(team), null, version);
  }

  private void requireUniqueName(String name, UUID self) {
    teams.findByName(name).filter(existing -> !existing.id().equals(self)).ifPresent(existing -> {
      throw ApiException.conflict("name", "a team named " + name + " already exists");
    });
  }

  private static Map<String, Object> auditView(Team team) {
    return TeamResponse.of(team).auditView();
  }
}
