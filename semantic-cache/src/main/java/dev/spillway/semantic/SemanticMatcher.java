package dev.spillway.semantic;

import static java.util.Objects.requireNonNull;

/**
 * Decides whether a stored prompt answers a new one: cosine at or above the threshold, then the
 * {@link VerificationGate} on that candidate. Only the best candidate is checked (the caller's nearest-neighbour
 * lookup finds it); a candidate that fails the gate is a miss, not a reason to try the second best.
 *
 * <p>Immutable and thread-safe.
 */
public final class SemanticMatcher {
  /** The default threshold for the default model and gate, chosen from the curve in docs/cache.md. */
  public static final double DEFAULT_THRESHOLD = 0.95;

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

  public SemanticMatcher(VerificationGate gate) {
    this.gate = requireNonNull(gate, "gate");
  }

  /**
   * Matches a query (its embedding and normalised text) against the best stored candidate.
   *
   * @param threshold minimum cosine for a hit, in (0, 1]
   */
  public Match match(float[] queryEmbedding, String queryText, Candidate candidate, double threshold) {
    requireNonNull(queryEmbedding, "queryEmbedding");
    requireNonNull(queryText, "queryText");
    requireNonNull(candidate, "candidate");
    if (!(threshold > 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold: " + threshold + " (expected: > 0 and <= 1)");
    }
    double similarity = Vectors.cosine(queryEmbedding, candidate.embedding());
    if (similarity < threshold) {
      return new Match(Outcome.BELOW_THRESHOLD, similarity, VerificationGate.Verdict.PASS);
    }
    VerificationGate.Verdict verdict = gate.check(queryText, candidate.normalisedText());
    return new Match(verdict == VerificationGate.Verdict.PASS ? Outcome.HIT : Outcome.REJECTED_BY_GATE, similarity,
        verdict);
  }
}
