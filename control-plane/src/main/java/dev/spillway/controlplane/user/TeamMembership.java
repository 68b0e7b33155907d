package dev.spillway.controlplane.user;

import java.time.Instant;
import java.util.UUID;

/** A user's role in one team ({@code team_admin} or {@code viewer}). */
public record TeamMembership(UUID teamId, String teamName, UUID userId, String email, String displayName,
    String role, Instant createdAt) {}
