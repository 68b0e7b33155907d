package dev.spillway.controlplane.sso;

import dev.spillway.controlplane.user.UserSignIn;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps IdP groups to roles, from {@code SPILLWAY_OIDC_GROUP_ROLES}: comma- or newline-separated
 * {@code group=role} pairs where role is {@code org_admin}, {@code viewer} (organisation-wide) or
 * {@code <team name>:team_admin} / {@code <team name>:viewer}. For example
 * {@code platform-admins=org_admin, auditors=viewer, ml-leads=research:team_admin, ml=research:viewer}.
 * A group may appear several times; a user in several groups gets the highest role per scope.
 */
public final class GroupRoleMapping {
  record Rule(String group, String team, String role) {}

  private final List<Rule> rules;

  private GroupRoleMapping(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** Parses the setting; a malformed entry stops the start with a message that names it. */
  public static GroupRoleMapping parse(String setting) {
    List<Rule> rules = new ArrayList<>();
    if (setting == null || setting.isBlank()) {
      return new GroupRoleMapping(rules);
    }
    for (String raw : setting.split("[,\\n]")) {
      String entry = raw.strip();
      if (entry.isEmpty()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1) {
        throw new IllegalArgumentException("SPILLWAY_OIDC_GROUP_ROLES: '" + entry + "' (expected: group=role)");
      }
      String group = entry.substring(0, eq).strip();
      String role = entry.substring(eq + 1).strip();
      if (role.equals("org_admin") || role.equals("viewer")) {
        rules.add(new Rule(group, null, role));
        continue;
      }
      int colon = role.lastIndexOf(':');
      String teamRole = colon < 0 ? "" : role.substring(colon + 1).strip();
      String team = colon < 0 ? "" : role.substring(0, colon).strip();
      if (team.isEmpty() || !(teamRole.equals("team_admin") || teamRole.equals("viewer"))) {
        throw new IllegalArgumentException("SPILLWAY_OIDC_GROUP_ROLES: '" + entry + "' (expected: role org_admin, "
            + "viewer, <team>:team_admin or <team>:viewer)");
      }
      rules.add(new Rule(group, team, teamRole));
    }
    return new GroupRoleMapping(rules);
  }

  public boolean isEmpty() {
    return rules.isEmpty();
  }

  /** The roles these groups grant (on top of the admin email list, applied by the caller). */
  public UserSignIn.Grants grantsFor(Collection<String> groups) {
    String orgRole = null;
    Map<String, String> teamRoles = new HashMap<>();
    for (Rule rule : rules) {
      if (!groups.contains(rule.group())) {
        continue;
      }
      if (rule.team() == null) {
        orgRole = higher(orgRole, rule.role());
      } else {
        teamRoles.merge(rule.team(), rule.role(), GroupRoleMapping::higher);
      }
    }
    return new UserSignIn.Grants(orgRole, teamRoles);
  }

  private static String higher(String a, String b) {
    if (a == null) {
      return b;
    }
    return a.endsWith("admin") ? a : b;
  }
}
