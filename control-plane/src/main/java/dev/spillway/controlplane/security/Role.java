package dev.spillway.controlplane.security;

/** Roles of the admin API and dashboard, from most to least powerful. */
public enum Role {
  ORG_ADMIN, TEAM_ADMIN, VIEWER;

  public String authority() {
    return "ROLE_" + name();
  }
}
