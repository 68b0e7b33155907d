package dev.spillway.semantic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.spillway.semantic.SemanticMatcher.Candidate;
import dev.spillway.semantic.SemanticMatcher.Outcome;
import org.junit.jupiter.api.Test;

class SemanticMatcherTest {
  private static final float[] X = {1, 0};
  private static final float[] NEAR_X = {0.96f, 0.28f};
  private final SemanticMatcher matcher = new SemanticMatcher(VerificationGate.standard());

  @Test
  void hitsAtOrAboveTheThresholdWhenTheGatePasses() {
    var match = matcher.match(NEAR_X, "reset my password", new Candidate(X, "reset my password please"), 0.95);
    assertThat(match.outcome()).isEqualTo(Outcome.HIT);
    assertThat(match.hit()).isTrue();
    assertThat(match.similarity()).isEqualTo(0.96, org.assertj.core.api.Assertions.within(1e-6));
  }

  @Test
  void missesBelowTheThreshold() {
    var match = matcher.match(NEAR_X, "reset my password", new Candidate(X, "reset my password"), 0.97);
    assertThat(match.outcome()).isEqualTo(Outcome.BELOW_THRESHOLD);
    assertThat(match.hit()).isFalse();
  }

  @Test
  void missesWhenTheGateRejectsEvenAtCosineOne() {
    var match = matcher.match(X, "how do i not reset my password", new Candidate(X, "how do i reset my password"), 0.9);
    assertThat(match.outcome()).isEqualTo(Outcome.REJECTED_BY_GATE);
    assertThat(match.verdict()).isEqualTo(VerificationGate.Verdict.NEGATION_DIFFERS);
  }

  @Test
  void rejectsAThresholdOutsideZeroToOne() {
    Candidate c = new Candidate(X, "a");
    assertThatIllegalArgumentException().isThrownBy(() -> matcher.match(X, "a", c, 0))
        .withMessage("threshold: 0.0 (expected: > 0 and <= 1)");
    assertThatIllegalArgumentException().isThrownBy(() -> matcher.match(X, "a", c, 1.5));
  }

  @Test
  void rejectsVectorsOfDifferentDimensions() {
    assertThatIllegalArgumentException().isThrownBy(() -> Vectors.cosine(X, new float[3]))
        .withMessageContaining("dimensions: 2 vs 3");
  }
}
