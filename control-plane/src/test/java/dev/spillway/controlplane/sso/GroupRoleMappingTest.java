package dev.spillway.controlplane.sso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.controlplane.user.UserSignIn;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GroupRoleMappingTest {
  private final GroupRoleMapping mapping = GroupRoleMapping.parse(
      "platform=org_admin, auditors=viewer,\n ml-leads=research:team_admin, ml=research:viewer, ops=infra: viewer");

  @Test
  void grantsTheRolesOfTheUsersGroupsOnly() {
    UserSignIn.Grants grants = mapping.grantsFor(List.of("ml", "ops", "unrelated"));

    assertThat(grants.orgRole()).isNull();
    assertThat(grants.teamRoles()).isEqualTo(Map.of("research", "viewer", "infra", "viewer"));
  }

  @Test
  void theHighestRolePerScopeWins() {
    UserSignIn.Grants grants = mapping.grantsFor(List.of("auditors", "platform", "ml", "ml-leads"));

    assertThat(grants.orgRole()).isEqualTo("org_admin");
    assertThat(grants.teamRoles()).containsEntry("research", "team_admin");
  }

  @Test
  void teamNamesMayContainColonsAndSpaces() {
    UserSignIn.Grants grants = GroupRoleMapping.parse("g=Data: Science team:team_admin").grantsFor(List.of("g"));

    assertThat(grants.teamRoles()).isEqualTo(Map.of("Data: Science team", "team_admin"));
  }

  @Test
  void anEmptySettingGrantsNothing() {
    assertThat(GroupRoleMapping.parse(" ").isEmpty()).isTrue();
    assertThat(GroupRoleMapping.parse(null).grantsFor(List.of("platform")).orgRole()).isNull();
  }

  @Test
  void refusesMalformedEntriesNamingThem() {
    assertThatThrownBy(() -> GroupRoleMapping.parse("platform"))
        .hasMessageContaining("'platform'").hasMessageContaining("group=role");
    assertThatThrownBy(() -> GroupRoleMapping.parse("g=research:owner"))
        .hasMessageContaining("'g=research:owner'");
    assertThatThrownBy(() -> GroupRoleMapping.parse("g=superuser")).hasMessageContaining("superuser");
  }
}
