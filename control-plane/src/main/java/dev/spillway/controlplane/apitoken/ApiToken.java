package dev.spillway.controlplane.apitoken;

import java.time.Instant;
import java.util.UUID;

/**
 * A named admin API token as stored: only the SHA-256 of the secret and its visible prefix.
 *
 * @param role   {@code org_admin}, {@code viewer} or {@code team_admin}
 * @param teamId the team a {@code team_admin} (or team-scoped {@code viewer}) token is limited to; null = org-wide
 */
public record ApiToken(
    UUID id,
    String name,
    String tokenPrefix,
    String role,
    UUID teamId,
    String createdBy,
    Instant createdAt,
    Instant expiresAt,
    Instant lastUsedAt,
    Instant revokedAt) {

  public boolean isActiveAt(Instant now) {
    return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
  }
}
