package dev.spillway.controlplane.user.web;

import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.common.Patches;
import dev.spillway.controlplane.user.User;
import dev.spillway.controlplane.user.UserService;
import java.net.URI;
import java.time.Instant;
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
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/users}: the people of the organisation and their organisation role. */
@RestController
@RequestMapping("/api/v1/users")
class UserApiController {
  private static final Set<String> READ_ONLY = Set.of("id", "teams", "created_at", "updated_at", "last_login_at");

  private final UserService users;
  private final Patches patches;

  UserApiController(UserService users, Patches patches) {
    this.users = users;
    this.patches = patches;
  }

  record UserRequest(String email, String displayName, String role, String status) {}

  record TeamView(UUID teamId, String teamName, String role) {}

  record UserResponse(UUID id, String email, String displayName, String role, String status, List<TeamView> teams,
      Instant createdAt, Instant updatedAt, Instant lastLoginAt) {
    static UserResponse of(User u) {
      return new UserResponse(u.id(), u.email(), u.displayName(), u.orgRole(), u.status(),
          u.teams().stream().map(m -> new TeamView(m.teamId(), m.teamName(), m.role())).toList(), u.createdAt(),
          u.updatedAt(), u.lastLoginAt());
    }
  }

  @GetMapping
  Map<String, List<UserResponse>> list() {
    return Map.of("data", users.list().stream().map(UserResponse::of).toList());
  }

  @PostMapping
  ResponseEntity<UserResponse> create(@RequestBody UserRequest request) {
    User created = users.create(new UserService.UserRequest(request.email(), request.displayName(), request.role(),
        request.status()));
    return ResponseEntity.created(URI.create("/api/v1/users/" + created.id())).body(UserResponse.of(created));
  }

  @GetMapping("/{id}")
  UserResponse get(@PathVariable String id) {
    return UserResponse.of(users.get(Ids.parse("user", id)));
  }

  @PatchMapping("/{id}")
  UserResponse patch(@PathVariable String id, @RequestBody JsonNode patch) {
    UUID userId = Ids.parse("user", id);
    User current = users.get(userId);
    UserRequest merged = patches.merge(new UserRequest(current.email(), current.displayName(), current.orgRole(),
        current.status()), patch, UserRequest.class, READ_ONLY);
    return UserResponse.of(users.update(userId, new UserService.UserRequest(merged.email(), merged.displayName(),
        merged.role(), merged.status())));
  }

  @DeleteMapping("/{id}")
  ResponseEntity<Void> delete(@PathVariable String id) {
    users.delete(Ids.parse("user", id));
    return ResponseEntity.noContent().build();
  }

}
