package dev.spillway.semantic;

import static java.util.Objects.requireNonNull;

/**
 * Decides whether a stored prompt answers a new one: cosine at or above the threshold (raised for long prompts, see
 * {@link LengthRule}), then the {@link VerificationGate} on that candidate. Only the best candidate is checked (the
 * caller's nearest-neighbour lookup finds it); a candidate that fails the gate is a miss, not a reason to try the
 * second best.
 *
 * <p>Immutable and thread-safe.
 */
public final class SemanticMatcher {
  /**
   * The default threshold for the default model, gate and {@link LengthRule#STANDARD length rule}, chosen from the
   * curve in docs/cache.md.
   */
  public static final double DEFAULT_THRESHOLD = 0.945;

  /**
   * How much more similar long prompts must be. One differing word moves the embedding of a long prompt less than that
   * of a short one, so two long prompts that share most of their words score high even when the word that differs
   * is the one that matters ("… compared to deserts in africa" / "… in the us"). On QQP, of the pairs at cosine
   * 0.93 or more that pass the gate, 80 % of those up to 9 words are paraphrases, 73 % at 10–14 words, 59 % at 15–19
   * and under 50 % beyond (docs/cache.md). The threshold therefore rises by {@code perWord} for every word of the
   * longer prompt past {@code freeWords} (words of the normalised text), up to {@link #MAX_REQUIRED} (never below the
   * threshold itself), so that near-identical long prompts still match.
   */
  public record LengthRule(int freeWords, double perWord) {
    /** The threshold as given, whatever the length. */
    public static final LengthRule NONE = new LengthRule(0, 0);
    /** +0.002 per word past 10: a 20-word prompt needs 0.965 at the default threshold, 30 words 0.985. */
    public static final LengthRule STANDARD = new LengthRule(10, 0.002);
    /** The most any prompt's length raises the required similarity to. */
    public static final double MAX_REQUIRED = 0.99;

    public LengthRule {
      if (freeWords < 0) {
        throw new IllegalArgumentException("freeWords: " + freeWords + " (expected: >= 0)");
      }
      if (!(perWord >= 0 && perWord < 1)) {
        throw new IllegalArgumentException("perWord: " + perWord + " (expected: >= 0 and < 1)");
      }
    }

    /** The similarity two prompts, the longer of which has {@code words} words, need at {@code threshold}. */
    public double required(double threshold, int words) {
      double raised = threshold + perWord * Math.max(0, words - freeWords);
      return Math.max(threshold, Math.min(raised, MAX_REQUIRED));
    }
  }

  /** A stored prompt: its embedding and its normalised text. */
  public record Candidate(float[] embedding, String normalisedText) {
    public Candidate {
      requireNonNull(embedding, "embedding");
      requireNonNull(normalisedText, "normalisedText");
    }
  }

  /** Why a lookup hit or missed. */
  public enum Outcome { HIT, BELOW_THRESHOLD, REJECTED_BY_GATE }

  /** The decision, the cosine similarity, and the gate's verdict ({@code PASS} when the gate was not reached). */
  public record Match(Outcome outcome, double similarity, VerificationGate.Verdict verdict) {
    public boolean hit() {
      return outcome == Outcome.HIT;
    }
  }

  private final VerificationGate gate;
  private final LengthRule lengthRule;

  /** A matcher with {@code gate} and the {@link LengthRule#STANDARD standard length rule}. */
  public SemanticMatcher(VerificationGate gate) {
    this(gate, LengthRule.STANDARD);
  }

  public SemanticMatcher(VerificationGate gate, LengthRule lengthRule) {
    this.gate = requireNonNull(gate, "gate");
    this.lengthRule = requireNonNull(lengthRule, "lengthRule");
  }

  /**
   * The cosine a candidate needs to hit at {@code threshold}: the threshold itself for prompts of up to
   * {@link LengthRule#freeWords()} words, more for longer ones. Both texts normalised.
   */
  public double requiredSimilarity(String queryText, String candidateText, double threshold) {
    requireNonNull(queryText, "queryText");
    requireNonNull(candidateText, "candidateText");
    checkThreshold(threshold);
    return lengthRule.required(threshold, Math.max(words(queryText), words(candidateText)));
  }

  /**
   * Matches a query (its embedding and normalised text) against the best stored candidate.
   *
   * @param threshold minimum cosine for a hit, in (0, 1], raised for long prompts by the {@link LengthRule}
   */
  public Match match(float[] queryEmbedding, String queryText, Candidate candidate, double threshold) {
    requireNonNull(queryEmbedding, "queryEmbedding");
    requireNonNull(queryText, "queryText");
    requireNonNull(candidate, "candidate");
    double required = requiredSimilarity(queryText, candidate.normalisedText(), threshold);
    double similarity = Vectors.cosine(queryEmbedding, candidate.embedding());
    if (similarity < required) {
      return new Match(Outcome.BELOW_THRESHOLD, similarity, VerificationGate.Verdict.PASS);
    }
    VerificationGate.Verdict verdict = gate.check(queryText, candidate.normalisedText());
    return new Match(verdict == VerificationGate.Verdict.PASS ? Outcome.HIT : Outcome.REJECTED_BY_GATE, similarity,
        verdict);
  }

  private static void checkThreshold(double threshold) {
    if (!(threshold > 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold: " + threshold + " (expected: > 0 and <= 1)");
    }
  }

  /** Words of a normalised text (single spaces, trimmed). */
  private static int words(String normalisedText) {
    if (normalisedText.isEmpty()) {
      return 0;
    }
    int n = 1;
    for (int i = 0; i < normalisedText.length(); i++) {
      if (normalisedText.charAt(i) == ' ') {
        n++;
      }
    }
    return n;
  }
}
