package dev.spillway.controlplane.security;

/**
 * The authorities an {@link Actor} can hold. {@link #ORG_ADMIN} and {@link #VIEWER} are organisation-wide roles;
 * {@link #TEAM_ADMIN} and {@link #TEAM_VIEWER} say the actor administers or views at least one team, and the team
 * itself is checked per request ({@link Authz}).
 */
public enum Role {
  ORG_ADMIN("org_admin"), VIEWER("viewer"), TEAM_ADMIN("team_admin"), TEAM_VIEWER("team_viewer");

  private final String wireName;

  Role(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public String authority() {
    return "ROLE_" + name();
  }

  /** An organisation-wide role as the API names it ({@code org_admin}, {@code viewer}). */
  public static java.util.Optional<Role> orgRole(String wireName) {
    if ("org_admin".equals(wireName)) {
      return java.util.Optional.of(ORG_ADMIN);
    }
    if ("viewer".equals(wireName)) {
      return java.util.Optional.of(VIEWER);
    }
    return java.util.Optional.empty();
  }
}
