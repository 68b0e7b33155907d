package dev.spillway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotValidatorTest {

  @Test
  void acceptsAConsistentSnapshot() {
    assertThat(SnapshotValidator.problems(SnapshotCodecTest.sample(1))).isEmpty();
  }

  @Test
  void rejectsARouteWhoseProviderDoesNotExistAndListsTheProvidersThatDo() {
    SnapshotConfig base = SnapshotCodecTest.sample(1);
    RouteConfig dangling = new RouteConfig("r2", "broken", List.of(new RouteTargetConfig("nope", "m", 1)), List.of(),
        null);
    SnapshotConfig snapshot = withRoutes(base, List.of(base.routes().get(0), dangling));

    assertThat(SnapshotValidator.problems(snapshot))
        .containsExactly("route broken refers to provider nope which does not exist (providers: mock, openai)");
  }

  @Test
  void rejectsRoutingRulesToMissingRoutesOrWithoutAnyCondition() {
    SnapshotConfig base = SnapshotCodecTest.sample(1);
    RoutingRuleConfig dangling = new RoutingRuleConfig("rr1", "to nowhere", 1, null, null, null, "gpt-*", "nowhere");
    RoutingRuleConfig everything = new RoutingRuleConfig("rr2", "everything", 2, null, null, null, null, "demo");
    RoutingRuleConfig fine = new RoutingRuleConfig("rr3", "fine", 3, "t1", null, null, null, "demo");
    SnapshotConfig snapshot = new SnapshotConfig(base.kind(), base.version(), base.createdAt(), base.organization(),
        base.teams(), base.virtualKeys(), base.providers(), base.routes(), base.prices(),
        List.of(fine, everything, dangling));

    assertThat(SnapshotValidator.problems(snapshot)).containsExactly(
        "routing rule to nowhere sends requests to route nowhere which does not exist (routes: demo)",
        "routing rule everything has no condition (it would capture every request)");
    assertThat(snapshot.routingRules()).extracting(RoutingRuleConfig::id).containsExactly("rr1", "rr2", "rr3");
  }

  @Test
  void rejectsAKeyWhoseTeamDoesNotExist() {
    SnapshotConfig base = SnapshotCodecTest.sample(1);
    VirtualKeyConfig orphan = new VirtualKeyConfig("k9", "orphan", "t404", Sha256.hex("x"), "sk-sw-x", List.of(),
        null, null, null, null);
    SnapshotConfig snapshot = new SnapshotConfig(base.kind(), base.version(), base.createdAt(), base.organization(),
        base.teams(), List.of(orphan), base.providers(), base.routes(), base.prices());

    assertThatThrownBy(() -> SnapshotValidator.requireValid(snapshot))
        .isInstanceOf(InvalidSnapshotException.class)
        .hasMessage("virtual key k9 refers to team t404 which does not exist (teams: t1)");
  }

  @Test
  void rejectsDuplicateRouteModelsAndZeroWeightRoutes() {
    SnapshotConfig base = SnapshotCodecTest.sample(1);
    RouteConfig copy = new RouteConfig("r2", "demo", List.of(new RouteTargetConfig("mock", "echo", 0)), List.of(),
        null);
    SnapshotConfig snapshot = withRoutes(base, List.of(base.routes().get(0), copy));

    assertThat(SnapshotValidator.problems(snapshot)).containsExactlyInAnyOrder(
        "duplicate route model: demo", "route demo has targets whose weights sum to 0");
  }

  @Test
  void rejectsBadKeyHashesAndNonFullKinds() {
    SnapshotConfig base = SnapshotCodecTest.sample(1);
    VirtualKeyConfig badHash = new VirtualKeyConfig("k9", "bad", "t1", "ABC", "sk-sw-x", List.of(), null, null, null,
        null);
    SnapshotConfig snapshot = new SnapshotConfig("delta", 0, Instant.EPOCH, base.organization(), base.teams(),
        List.of(badHash), base.providers(), base.routes(), base.prices());

    assertThat(SnapshotValidator.problems(snapshot)).containsExactlyInAnyOrder(
        "kind: delta (expected: full)", "version: 0 (expected: > 0)",
        "virtual key k9 has a key_hash that is not a lower-case hex SHA-256");
  }

  private static SnapshotConfig withRoutes(SnapshotConfig base, List<RouteConfig> routes) {
    return new SnapshotConfig(base.kind(), base.version(), base.createdAt(), base.organization(), base.teams(),
        base.virtualKeys(), base.providers(), routes, base.prices());
  }
}
