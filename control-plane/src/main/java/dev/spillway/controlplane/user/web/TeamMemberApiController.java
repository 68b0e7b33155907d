package dev.spillway.controlplane.user.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.user.TeamMembership;
import dev.spillway.controlplane.user.UserService;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/teams/{id}/members}: who belongs to a team and as what; team admins manage their own teams. */
@RestController
@RequestMapping("/api/v1/teams/{teamId}/members")
class TeamMemberApiController {
  private final UserService users;

  TeamMemberApiController(UserService users) {
    this.users = users;
  }

  record MemberRequest(String userId, String role) {}

  record MemberResponse(UUID teamId, UUID userId, String email, String displayName, String role,
      Instant createdAt) {
    static MemberResponse of(TeamMembership m) {
      return new MemberResponse(m.teamId(), m.userId(), m.email(), m.displayName(), m.role(), m.createdAt());
    }
  }

  @GetMapping
  Map<String, List<MemberResponse>> list(@PathVariable String teamId) {
    return Map.of("data", users.members(Ids.parse("team", teamId)).stream().map(MemberResponse::of).toList());
  }

  @PostMapping
  ResponseEntity<MemberResponse> add(@PathVariable String teamId, @RequestBody MemberRequest request) {
    UUID team = Ids.parse("team", teamId);
    TeamMembership added = users.addMember(team, request.userId(), request.role());
    return ResponseEntity.created(URI.create("/api/v1/teams/" + team + "/members/" + added.userId()))
        .body(MemberResponse.of(added));
  }

  @PatchMapping("/{userId}")
  MemberResponse change(@PathVariable String teamId, @PathVariable String userId,
      @RequestBody MemberRequest request) {
    if (request.userId() != null && !request.userId().equals(userId)) {
      throw ApiException.invalid("user_id", "cannot be changed");
    }
    return MemberResponse.of(users.changeMember(Ids.parse("team", teamId), Ids.parse("membership of user", userId),
        request.role()));
  }

  @DeleteMapping("/{userId}")
  ResponseEntity<Void> remove(@PathVariable String teamId, @PathVariable String userId) {
    users.removeMember(Ids.parse("team", teamId), Ids.parse("membership of user", userId));
    return ResponseEntity.noContent().build();
  }
}
