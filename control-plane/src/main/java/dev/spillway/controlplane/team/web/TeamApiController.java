package dev.spillway.controlplane.team.web;

import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.common.LoggingBody;
import dev.spillway.controlplane.common.Patches;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.team.TeamRequest;
import dev.spillway.controlplane.team.TeamResponse;
import dev.spillway.controlplane.team.TeamService;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

@RestController
@RequestMapping("/api/v1/teams")
class TeamApiController {
  private static final Set<String> READ_ONLY = Set.of("id", "created_at", "updated_at");

  private final TeamService teams;
  private final Patches patches;

  TeamApiController(TeamService teams, Patches patches) {
    this.teams = teams;
    this.patches = patches;
  }

  @GetMapping
  Map<String, List<TeamResponse>> list() {
    Set<UUID> readable = Authz.readableTeamsOrAll();
    return Map.of("data", teams.list().stream().filter(t -> readable == null || readable.contains(t.id()))
        .map(TeamResponse::of).toList());
  }

  @PostMapping
  ResponseEntity<TeamResponse> create(@RequestBody TeamRequest request) {
    TeamResponse created = TeamResponse.of(teams.create(request));
    return ResponseEntity.created(URI.create("/api/v1/teams/" + created.id())).body(created);
  }

  @GetMapping("/{id}")
  TeamResponse get(@PathVariable String id) {
    UUID teamId = Ids.parse("team", id);
    Authz.requireTeamRead(teamId);
    return TeamResponse.of(teams.get(teamId));
  }

  @PatchMapping("/{id}")
  TeamResponse patch(@PathVariable String id, @RequestBody JsonNode patch) {
    var teamId = Ids.parse("team", id);
    TeamRequest current = TeamResponse.of(teams.get(teamId)).toRequest();
    return TeamResponse.of(teams.update(teamId, patches.merge(current, patch, TeamRequest.class, READ_ONLY)));
  }

  /**
   * The team's request-log settings alone, for its team admins too (PATCH of the whole team is for org admins);
   * {@code content: full} needs an org admin.
   */
  @PutMapping("/{id}/logging")
  TeamResponse putLogging(@PathVariable String id, @RequestBody LoggingBody logging) {
    return TeamResponse.of(teams.updateLogging(Ids.parse("team", id), logging));
  }

  @DeleteMapping("/{id}")
  ResponseEntity<Void> delete(@PathVariable String id) {
    teams.delete(Ids.parse("team", id));
    return ResponseEntity.noContent().build();
  }
}
