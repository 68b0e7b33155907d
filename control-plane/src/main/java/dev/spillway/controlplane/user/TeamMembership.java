package dev.spillway.controlplane.user;

import java.time.Instant;
import java.util.UUID;

/**
 * A user's role in one team ({@code team_admin} or {@code viewer}).
 *
 * @param source {@code dashboard} (assigned by an admin) or {@code sso} (granted at sign-in by an IdP group)
 */
public record TeamMembership(UUID teamId, String teamName, UUID userId, String email, String displayName,
    String role, Instant createdAt, String source) {

  public boolean fromSso() {
    return "sso".equals(source);
  }
}
