package dev.spillway.controlplane.security;

import dev.spillway.config.ContentPolicy;
import dev.spillway.config.LoggingConfig;
import dev.spillway.controlplane.common.ApiException;
import java.util.Set;
import java.util.UUID;

/**
 * Team-level checks that URL rules cannot make: the URL rules of the filter chains
 * ({@code security.web.SecurityConfig}) admit team admins to the endpoints they may use at all, and these checks pin
 * them to their own teams.
 */
public final class Authz {
  private Authz() {}

  public static void requireTeamRead(UUID teamId) {
    if (!CurrentActor.get().canReadTeam(teamId)) {
      throw ApiException.forbidden("you may not read team " + teamId);
    }
  }

  public static void requireTeamAdmin(UUID teamId) {
    if (!CurrentActor.get().canAdminTeam(teamId)) {
      throw ApiException.forbidden("you do not administer team " + teamId);
    }
  }

  public static void requireOrgAdmin() {
    if (!CurrentActor.get().isOrgAdmin()) {
      throw ApiException.forbidden("this action needs the org_admin role");
    }
  }

  /** Organisation-wide data (the org's own spend, nodes, audit): org admins and org viewers. */
  public static void requireOrgRead() {
    if (!CurrentActor.get().readsEverything()) {
      throw ApiException.forbidden("this needs an organisation-wide role (org_admin or viewer)");
    }
  }

  /**
   * Storing whole prompts and answers is the organisation's decision: only an org admin may turn request-log content
   * {@code full} on, for a team or for a key (a key's setting wins over its team's, so a team admin's key would
   * otherwise undo the rule). A team admin may choose {@code none} or {@code redacted}, and may keep a {@code full}
   * that an org admin set, or lower it.
   */
  public static void requireFullContentAllowed(LoggingConfig before, LoggingConfig after) {
    if (isFull(after) && !isFull(before) && !CurrentActor.get().isOrgAdmin()) {
      throw ApiException.forbidden("logging.content: full needs the org_admin role (team admins may choose none "
          + "or redacted)");
    }
  }

  private static boolean isFull(LoggingConfig logging) {
    return logging != null && logging.content() == ContentPolicy.FULL;
  }

  /** Teams whose data the caller may list, or null for all teams. */
  public static Set<UUID> readableTeamsOrAll() {
    Actor actor = CurrentActor.get();
    return actor.readsEverything() ? null : actor.teamRoles().keySet();
  }
}
