package dev.spillway.controlplane.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ActorTest {
  private final UUID team = UUID.randomUUID();
  private final UUID other = UUID.randomUUID();

  @Test
  void anOrgAdminAdministersEveryTeam() {
    Actor admin = new Actor("user", "1", "a@example.com", Role.ORG_ADMIN, Map.of());

    assertThat(admin.canAdminTeam(team)).isTrue();
    assertThat(admin.readsEverything()).isTrue();
    assertThat(admin.authorities()).containsExactly(Role.ORG_ADMIN);
  }

  @Test
  void aTeamAdminAdministersOnlyItsTeamAndViewsTheOthersItBelongsTo() {
    Actor actor = new Actor("user", "2", "b@example.com", null,
        Map.of(team, TeamRole.TEAM_ADMIN, other, TeamRole.VIEWER));

    assertThat(actor.canAdminTeam(team)).isTrue();
    assertThat(actor.canAdminTeam(other)).isFalse();
    assertThat(actor.canReadTeam(other)).isTrue();
    assertThat(actor.canReadTeam(UUID.randomUUID())).isFalse();
    assertThat(actor.readsEverything()).isFalse();
    assertThat(actor.adminOfTeams()).containsExactly(team);
    assertThat(actor.authorities()).containsExactly(Role.TEAM_ADMIN, Role.TEAM_VIEWER);
  }

  @Test
  void anOrgViewerReadsButAdministersNothing() {
    Actor viewer = new Actor("api_token", "3", "ci", Role.VIEWER, Map.of());

    assertThat(viewer.canReadTeam(team)).isTrue();
    assertThat(viewer.canAdminTeam(team)).isFalse();
    assertThat(viewer.authorities()).containsExactly(Role.VIEWER);
  }

  @Test
  void aTeamRoleIsNotAnOrganisationRole() {
    assertThatThrownBy(() -> new Actor("user", "4", "c", Role.TEAM_ADMIN, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
