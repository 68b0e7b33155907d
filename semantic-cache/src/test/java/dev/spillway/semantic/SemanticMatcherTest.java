package dev.spillway.semantic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

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
    assertThat(match.similarity()).isEqualTo(0.96, within(1e-6));
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
  void asksMoreOfPromptsLongerThanTenWords() {
    String tenWords = "one two three four five six seven eight nine ten";
    String twentyWords = tenWords + " " + tenWords;
    assertThat(matcher.requiredSimilarity("reset my password", tenWords, 0.945)).isEqualTo(0.945);
    assertThat(matcher.requiredSimilarity(twentyWords, "reset my password", 0.945)).isCloseTo(0.965, within(1e-9));
    assertThat(matcher.requiredSimilarity(twentyWords + " " + twentyWords + " " + twentyWords, "a", 0.945))
        .isEqualTo(SemanticMatcher.LengthRule.MAX_REQUIRED);
    assertThat(matcher.requiredSimilarity(twentyWords, "a", 0.995)).isEqualTo(0.995);
    SemanticMatcher flat = new SemanticMatcher(VerificationGate.standard(), SemanticMatcher.LengthRule.NONE);
    assertThat(flat.requiredSimilarity(twentyWords, twentyWords, 0.945)).isEqualTo(0.945);
  }

  @Test
  void missesALongPromptThatWouldHitWereItShort() {
    String shortText = "capital of france";
    String longText = "what is the capital of france and how does its population compare to the population of the "
        + "other large cities in europe";
    assertThat(matcher.match(NEAR_X, shortText, new Candidate(X, shortText), 0.95).outcome()).isEqualTo(Outcome.HIT);
    var match = matcher.match(NEAR_X, longText, new Candidate(X, longText), 0.95);
    assertThat(match.outcome()).isEqualTo(Outcome.BELOW_THRESHOLD);
    assertThat(match.similarity()).isEqualTo(0.96, within(1e-6));
  }

  @Test
  void rejectsANegativeLengthRule() {
    assertThatIllegalArgumentException().isThrownBy(() -> new SemanticMatcher.LengthRule(-1, 0.002))
        .withMessage("freeWords: -1 (expected: >= 0)");
    assertThatIllegalArgumentException().isThrownBy(() -> new SemanticMatcher.LengthRule(10, -0.1))
        .withMessage("perWord: -0.1 (expected: >= 0 and < 1)");
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
