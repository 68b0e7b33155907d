package dev.spillway.controlplane.apitoken.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.spillway.controlplane.apitoken.ApiToken;
import dev.spillway.controlplane.apitoken.ApiTokenService;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Ids;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/api-tokens}: org admins issue, list and revoke named admin API tokens. */
@RestController
@RequestMapping("/api/v1/api-tokens")
class ApiTokenApiController {
  private final ApiTokenService tokens;

  ApiTokenApiController(ApiTokenService tokens) {
    this.tokens = tokens;
  }

  record ApiTokenRequest(String name, String role, String teamId, Instant expiresAt) {}

  /** {@code token} appears only in the create response. */
  record ApiTokenResponse(UUID id, String name, @JsonInclude(JsonInclude.Include.NON_NULL) String token,
      String tokenPrefix, String role, UUID teamId, String createdBy, Instant createdAt, Instant expiresAt,
      Instant lastUsedAt, Instant revokedAt, String status) {

    static ApiTokenResponse of(ApiToken t, String secret) {
      String status = t.revokedAt() != null ? "revoked"
          : t.expiresAt() != null && !t.expiresAt().isAfter(Instant.now()) ? "expired" : "active";
      return new ApiTokenResponse(t.id(), t.name(), secret, t.tokenPrefix(), t.role(), t.teamId(), t.createdBy(),
          t.createdAt(), t.expiresAt(), t.lastUsedAt(), t.revokedAt(), status);
    }

    @Override
    public String toString() {
      return "ApiTokenResponse[" + name + ", token=" + (token == null ? "null" : "<secret>") + "]";
    }
  }

  @GetMapping
  Map<String, List<ApiTokenResponse>> list(
      @RequestParam(name = "include_revoked", defaultValue = "false") boolean includeRevoked) {
    return Map.of("data", tokens.list(includeRevoked).stream().map(t -> ApiTokenResponse.of(t, null)).toList());
  }

  @PostMapping
  ResponseEntity<ApiTokenResponse> create(@RequestBody ApiTokenRequest request) {
    UUID teamId = null;
    if (request.teamId() != null && !request.teamId().isBlank()) {
      try {
        teamId = UUID.fromString(request.teamId());
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("team_id", "is not a team id");
      }
    }
    var issued = tokens.create(new ApiTokenService.NewToken(request.name(), request.role(), teamId,
        request.expiresAt()));
    return ResponseEntity.created(URI.create("/api/v1/api-tokens/" + issued.token().id()))
        .body(ApiTokenResponse.of(issued.token(), issued.secret()));
  }

  @GetMapping("/{id}")
  ApiTokenResponse get(@PathVariable String id) {
    return ApiTokenResponse.of(tokens.get(Ids.parse("api token", id)), null);
  }

  /** Revokes; the token stays listed (with {@code include_revoked=true}) for the audit trail. */
  @DeleteMapping("/{id}")
  ResponseEntity<Void> revoke(@PathVariable String id) {
    tokens.revoke(Ids.parse("api token", id));
    return ResponseEntity.noContent().build();
  }
}
