package dev.spillway.controlplane.node;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeIdsTest {

  @ParameterizedTest
  @ValueSource(strings = {"vm:28000", "ip-10-0-0-7.ec2.internal:8000", "[fd00::1]:8000", "nœud ü", "a+b@c=d&e",
      "?#", "..."})
  void acceptsIdsThatCanBeAPathSegment(String id) {
    assertThat(NodeIds.problem(id)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"eu/1", "50%", "a;b", "a\\b", "tab\there", "line\nbreak", ".", "..", " ", ""})
  void refusesIdsThatCannotBeAPathSegment(String id) {
    assertThat(NodeIds.problem(id)).isPresent();
  }

  @ParameterizedTest
  @ValueSource(ints = {200, 201})
  void allowsAtMost200Characters(int length) {
    assertThat(NodeIds.problem("n".repeat(length)).isPresent()).isEqualTo(length > 200);
  }
}
