package dev.spillway.controlplane.security;

import java.util.Arrays;
import java.util.Optional;

/** A user's role in one team: administers its keys and members, or only reads them. */
public enum TeamRole {
  TEAM_ADMIN("team_admin"), VIEWER("viewer");

  private final String wireName;

  TeamRole(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<TeamRole> find(String wireName) {
    return Arrays.stream(values()).filter(r -> r.wireName.equals(wireName)).findFirst();
  }
}
