package dev.spillway.semantic;

import static java.util.Objects.requireNonNull;

/** Vector arithmetic for unit-length embeddings. */
public final class Vectors {
  private Vectors() {}

  /** Cosine similarity of two unit vectors: their dot product. */
  public static double cosine(float[] a, float[] b) {
    requireNonNull(a, "a");
    requireNonNull(b, "b");
    if (a.length != b.length) {
      throw new IllegalArgumentException("dimensions: " + a.length + " vs " + b.length + " (expected: equal)");
    }
    double dot = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
    }
    return dot;
  }

  /** {@code v} scaled in place to unit length (left as is when it is all zeros); returns {@code v}. */
  static float[] normalize(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += x * x;
    }
    if (sum == 0) {
      return v;
    }
    float inv = (float) (1 / Math.sqrt(sum));
    for (int i = 0; i < v.length; i++) {
      v[i] *= inv;
    }
    return v;
  }
}
