package dev.spillway.semantic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import dev.spillway.semantic.SemanticMatcher.Candidate;
import dev.spillway.semantic.SemanticMatcher.Match;
import dev.spillway.semantic.SemanticMatcher.Outcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real model, loaded once for the class (about a second). */
class OnnxEmbedderTest {
  private static final String STORED = "How do I reset my password?";
  private static OnnxEmbedder embedder;

  @BeforeAll
  static void load() {
    embedder = OnnxEmbedder.bgeSmallEnV15(1);
  }

  @AfterAll
  static void close() {
    embedder.close();
  }

  private static float[] embed(String prompt) {
    return embedder.embed(PromptNormalizer.normalize(prompt));
  }

  @Test
  void embedsInto384UnitLengthDimensions() {
    float[] v = embed(STORED);
    assertThat(embedder.dimension()).isEqualTo(384);
    assertThat(v).hasSize(384);
    assertThat(Vectors.cosine(v, v)).isCloseTo(1.0, within(1e-4));
    assertThat(Vectors.cosine(v, embed(STORED))).isCloseTo(1.0, within(1e-4));
  }

  @Test
  void placesTheAbbreviatedParaphraseAboveTheLookAlikeOnceNormalised() {
    float[] stored = embed(STORED);
    double password = Vectors.cosine(stored, embed("What's the process to reset my pw?"));
    double router = Vectors.cosine(stored, embed("How do I reset my router?"));
    assertThat(password).isGreaterThan(router + 0.05);
    double unnormalised = Vectors.cosine(embedder.embed(STORED), embedder.embed("What's the process to reset my pw?"));
    assertThat(password).isGreaterThan(unnormalised);
  }

  @Test
  void refusesABlankPrompt() {
    assertThatIllegalArgumentException().isThrownBy(() -> embedder.embed(PromptNormalizer.normalize("?!")))
        .withMessageStartingWith("normalisedText: blank");
  }

  /** The acceptance example of issue 12 at threshold 0.90: one stored, two hits, router and negation miss. */
  @Test
  void servesThePasswordParaphrasesAndNotTheRouterOrTheNegationAt090() {
    SemanticMatcher matcher = new SemanticMatcher(VerificationGate.standard());
    String storedText = PromptNormalizer.normalize(STORED);
    Candidate candidate = new Candidate(embedder.embed(storedText), storedText);

    assertThat(lookup(matcher, candidate, "I forgot my password, help").outcome()).isEqualTo(Outcome.HIT);
    assertThat(lookup(matcher, candidate, "What's the process to reset my pw?").outcome()).isEqualTo(Outcome.HIT);
    assertThat(lookup(matcher, candidate, "How do I reset my router?").outcome()).isEqualTo(Outcome.BELOW_THRESHOLD);
    Match negated = lookup(matcher, candidate, "How do I not reset my password?");
    assertThat(negated.outcome()).isEqualTo(Outcome.REJECTED_BY_GATE);
    assertThat(negated.verdict()).isEqualTo(VerificationGate.Verdict.NEGATION_DIFFERS);
  }

  private static Match lookup(SemanticMatcher matcher, Candidate candidate, String prompt) {
    String text = PromptNormalizer.normalize(prompt);
    return matcher.match(embedder.embed(text), text, candidate, 0.90);
  }
}
