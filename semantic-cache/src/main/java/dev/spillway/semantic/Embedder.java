package dev.spillway.semantic;

/**
 * Turns normalised text ({@link PromptNormalizer}) into a unit-length vector, so that the cosine of two embeddings is
 * their dot product. Implementations do CPU work or I/O: never call one from an event loop.
 */
public interface Embedder {
  /**
   * The L2-normalised embedding of {@code normalisedText}; its length is {@link #dimension()}.
   *
   * @throws IllegalArgumentException if the text is blank (such a prompt skips the semantic cache)
   */
  float[] embed(String normalisedText);

  /** Length of every vector {@link #embed} returns. */
  int dimension();

  /**
   * The model's name, stored with every entry: entries embedded by another model are never compared with this
   * one's vectors (the spaces differ even at the same dimension).
   */
  String modelName();
}
