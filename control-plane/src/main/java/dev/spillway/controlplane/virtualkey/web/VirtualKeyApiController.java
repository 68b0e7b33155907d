package dev.spillway.controlplane.virtualkey.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.common.Patches;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyRequest;
import dev.spillway.controlplane.virtualkey.VirtualKeyResponse;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
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
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

@RestController
@RequestMapping("/api/v1/virtual-keys")
class VirtualKeyApiController {
  private static final Set<String> READ_ONLY = Set.of("id", "key", "key_prefix", "status", "rotated_from",
      "created_at", "updated_at", "revoked_at");

  private final VirtualKeyService keys;
  private final Patches patches;

  VirtualKeyApiController(VirtualKeyService keys, Patches patches) {
    this.keys = keys;
    this.patches = patches;
  }

  @GetMapping
  Map<String, List<VirtualKeyResponse>> list(@RequestParam(name = "team_id", required = false) String teamId,
      @RequestParam(required = false) String status,
      @RequestParam(defaultValue = "100") int limit,
      @RequestParam(defaultValue = "0") int offset) {
    if (limit < 1 || limit > 1000) {
      throw ApiException.invalid("limit", "must be between 1 and 1000");
    }
    if (offset < 0) {
      throw ApiException.invalid("offset", "must be >= 0");
    }
    UUID team = teamId == null ? null : parseTeamFilter(teamId);
    VirtualKey.Status parsedStatus = status == null ? null : parseStatus(status);
    return Map.of("data", keys.list(team, parsedStatus, limit, offset).stream().map(VirtualKeyResponse::of).toList());
  }

  @PostMapping
  ResponseEntity<VirtualKeyResponse> create(@RequestBody VirtualKeyRequest request) {
    VirtualKeyService.IssuedKey issued = keys.create(request);
    return ResponseEntity.created(URI.create("/api/v1/virtual-keys/" + issued.key().id()))
        .body(VirtualKeyResponse.withSecret(issued.key(), issued.secret()));
  }

  @GetMapping("/{id}")
  VirtualKeyResponse get(@PathVariable String id) {
    return VirtualKeyResponse.of(keys.get(Ids.parse("virtual key", id)));
  }

  @PatchMapping("/{id}")
  VirtualKeyResponse patch(@PathVariable String id, @RequestBody JsonNode patch) {
    UUID keyId = Ids.parse("virtual key", id);
    VirtualKeyRequest current = VirtualKeyResponse.of(keys.get(keyId)).toRequest();
    return VirtualKeyResponse.of(keys.update(keyId, patches.merge(current, patch, VirtualKeyRequest.class, READ_ONLY)));
  }

  /** Revokes; the key stays visible with status {@code revoked}. */
  @DeleteMapping("/{id}")
  ResponseEntity<Void> revoke(@PathVariable String id) {
    keys.revoke(Ids.parse("virtual key", id));
    return ResponseEntity.noContent().build();
  }

  record RotateRequest(Long gracePeriodSeconds) {}

  @PostMapping("/{id}/rotate")
  ResponseEntity<VirtualKeyResponse> rotate(@PathVariable String id,
      @RequestBody(required = false) RotateRequest request) {
    long grace = request == null || request.gracePeriodSeconds() == null ? 0 : request.gracePeriodSeconds();
    VirtualKeyService.IssuedKey issued = keys.rotate(Ids.parse("virtual key", id), Duration.ofSeconds(grace));
    return ResponseEntity.created(URI.create("/api/v1/virtual-keys/" + issued.key().id()))
        .body(VirtualKeyResponse.withSecret(issued.key(), issued.secret()));
  }

  /** A filter, not a resource lookup: a malformed team id is a bad request, not a missing team. */
  private static UUID parseTeamFilter(String teamId) {
    try {
      return UUID.fromString(teamId);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("team_id", "is not a team id");
    }
  }

  private static VirtualKey.Status parseStatus(String status) {
    try {
      return VirtualKey.Status.valueOf(status.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("status", "must be active or revoked");
    }
  }
}
