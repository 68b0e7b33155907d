package dev.spillway.controlplane.dashboard;

import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.Role;
import dev.spillway.controlplane.security.TeamRole;
import java.util.UUID;

/**
 * The signed-in user as pages see it: what to show in the frame and which controls to offer. Offering a control
 * is only a courtesy; every action is authorised again on the server.
 */
public record CurrentUser(Actor actor) {

  public String name() {
    return actor.name();
  }

  public boolean orgAdmin() {
    return actor.isOrgAdmin();
  }

  /** Reads everything (org admin or org viewer). */
  public boolean readsAll() {
    return actor.readsEverything();
  }

  public boolean teamAdmin() {
    return actor.authorities().contains(Role.TEAM_ADMIN);
  }

  /** Sees providers and routes (the catalogue): org roles and team admins. */
  public boolean readsCatalogue() {
    return readsAll() || teamAdmin();
  }

  public boolean hasAnyRole() {
    return !actor.authorities().isEmpty();
  }

  public boolean administers(UUID teamId) {
    return teamId != null && actor.canAdminTeam(teamId);
  }

  /** May create keys in at least one team. */
  public boolean managesKeys() {
    return orgAdmin() || teamAdmin();
  }

  public String roleLabel() {
    if (actor.orgRole() == Role.ORG_ADMIN) {
      return "Organisation admin";
    }
    if (actor.orgRole() == Role.VIEWER) {
      return "Organisation viewer";
    }
    long admin = actor.teamRoles().values().stream().filter(r -> r == TeamRole.TEAM_ADMIN).count();
    long viewer = actor.teamRoles().size() - admin;
    if (admin > 0) {
      return "Team admin (" + admin + (admin == 1 ? " team" : " teams") + ")";
    }
    if (viewer > 0) {
      return "Team viewer (" + viewer + (viewer == 1 ? " team" : " teams") + ")";
    }
    return "No role yet";
  }
}
