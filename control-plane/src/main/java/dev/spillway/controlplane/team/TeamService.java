package dev.spillway.controlplane.team;

import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.configversion.ConfigVersions;
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
    requireUniqueName(valid.name(), null);
    Instant now = Instant.now();
    Team team = new Team(UUID.randomUUID(), valid.name(), valid.description(), valid.budget(), valid.rateLimit(),
        valid.cache(), valid.metadata(), now, now);
    teams.save(team);
    long version = versions.bump();
    audit.record("team.create", "team", team.id(), null, auditView(team), version);
    return team;
  }

  @Transactional
  public Team update(UUID id, TeamRequest request) {
    Team before = get(id);
    TeamRequest.Valid valid = request.validate();
    requireUniqueName(valid.name(), id);
    Team after = new Team(id, valid.name(), valid.description(), valid.budget(), valid.rateLimit(), valid.cache(),
        valid.metadata(), before.createdAt(), Instant.now());
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
