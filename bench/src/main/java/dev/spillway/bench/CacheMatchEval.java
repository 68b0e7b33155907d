package dev.spillway.bench;

import dev.spillway.semantic.OnnxEmbedder;
import dev.spillway.semantic.PromptNormalizer;
import dev.spillway.semantic.SemanticMatcher;
import dev.spillway.semantic.VerificationGate;
import dev.spillway.semantic.VerificationGate.Rule;
import dev.spillway.semantic.Vectors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.HdrHistogram.Histogram;

/**
 * Semantic-cache matching quality on labelled paraphrase pairs, in the retrieval setting of issue 12: every first
 * question is stored, every second question is looked up (nearest stored by cosine, brute force), and a hit is correct
 * only when it returns its own pair's first question and the pair is labelled a paraphrase. Prints, for a sweep of
 * thresholds and for several settings (gate rules, with and without the length rule of {@code SemanticMatcher}):
 * hits; precision (correct hits / hits); recall (correct hits / paraphrase pairs);
 * false hits (non-paraphrase pairs served their own look-alike first question / non-paraphrase pairs); other-entry
 * (hits on another pair's first question, counted wrong in precision) and, of those, identical (the other entry's
 * normalised text equals the query's: PAWS reuses sentences across pairs, so that is the right answer in practice);
 * and, outside retrieval, each pair on its own: pair-fh (non-paraphrase pairs whose second question would hit their
 * first: cosine at or above the required similarity and the gate passes / non-paraphrase pairs) and pair-rec (the same for
 * paraphrase pairs / paraphrase pairs); then embedding latency (prompts up to 250 characters and longer ones) and the
 * gate's cost per check. The dataset stays outside the repository: pass its path.
 *
 * <p>Run: {@code mvn -B -q -pl bench -am -DskipTests package dependency:build-classpath
 * -Dmdep.outputFile=target/classpath.txt && java -cp "bench/target/classes:$(cat bench/target/classpath.txt)"
 * dev.spillway.bench.CacheMatchEval qqp ../shared/datasets/qqp/dev.tsv [--limit N] [--threads N] [--raw]
 * [--model bge|minilm] [--window N]} ({@code --threads}: ONNX Runtime intra-op threads, default 1, 0 = ONNX
 * Runtime's choice; {@code --raw}: embed the text as sent, not normalised, to measure what normalising buys; the gate
 * still reads normalised text; {@code --model}: bge-small-en-v1.5-q, the default, or all-MiniLM-L6-v2-q;
 * {@code --window}: word pieces per model run, default the model's).
 */
public final class CacheMatchEval {
  private static final double[] THRESHOLDS = {0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.91, 0.92, 0.93, 0.94, 0.945,
      0.95, 0.955, 0.96, 0.97, 0.98};

  private record Pair(String a, String b, boolean paraphrase) {}

  /** A gate and a length rule, measured together. */
  private record Setting(VerificationGate gate, SemanticMatcher.LengthRule lengthRule) {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: CacheMatchEval <qqp|paws> <path-to-dev.tsv> [--limit N] [--threads N] [--raw] "
          + "[--model bge|minilm] [--window N]");
      System.exit(2);
    }
    String name = args[0];
    Path path = Path.of(args[1]);
    int limit = Integer.MAX_VALUE;
    int threads = 1;
    boolean raw = false;
    OnnxEmbedder.Model model = OnnxEmbedder.Model.BGE_SMALL_EN_V15_Q;
    int window = 0;
    for (int i = 2; i < args.length; i++) {
      switch (args[i]) {
        case "--limit" -> limit = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--raw" -> raw = true;
        case "--model" -> model = model(args[++i]);
        case "--window" -> window = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option: " + args[i]);
      }
    }
    List<Pair> pairs = read(path, limit);
    UnaryOperator<String> norm = PromptNormalizer::normalize;
    UnaryOperator<String> embedForm = raw ? s -> s : PromptNormalizer::normalize;
    System.out.printf(Locale.ROOT, "dataset: %s %s, %d pairs (%d paraphrases)%s; machine: %d cores, %s %s%n", name,
        path, pairs.size(), pairs.stream().filter(Pair::paraphrase).count(), raw ? ", NOT normalised" : "",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"));

    long loadStart = System.nanoTime();
    try (OnnxEmbedder embedder = OnnxEmbedder.load(model, threads, window == 0 ? model.window() : window)) {
      System.out.printf(Locale.ROOT, "model: %s, window %d, intra-op threads %s, loaded in %.2f s%n",
          embedder.modelName(), window == 0 ? model.window() : window, threads == 0 ? "auto" : threads,
          (System.nanoTime() - loadStart) / 1e9);
      for (int i = 0; i < 50; i++) {
        embedder.embed(embedForm.apply(pairs.get(i % pairs.size()).b()));
      }

      Histogram shortLat = new Histogram(3);
      Histogram longLat = new Histogram(3);
      // Stored: distinct first questions (by normalised text); a pair's own answer is its first question's entry.
      Map<String, Integer> storedIndex = new LinkedHashMap<>();
      List<float[]> stored = new ArrayList<>();
      int[] own = new int[pairs.size()];
      String[] queryText = new String[pairs.size()];
      float[][] query = new float[pairs.size()][];
      for (int i = 0; i < pairs.size(); i++) {
        Pair p = pairs.get(i);
        String a = norm.apply(p.a());
        Integer idx = storedIndex.get(a);
        if (idx == null) {
          idx = stored.size();
          storedIndex.put(a, idx);
          stored.add(timedEmbed(embedder, embedForm.apply(p.a()), p.a().length(), shortLat, longLat));
        }
        own[i] = idx;
        queryText[i] = norm.apply(p.b());
        query[i] = timedEmbed(embedder, embedForm.apply(p.b()), p.b().length(), shortLat, longLat);
      }
      String[] storedText = storedIndex.keySet().toArray(new String[0]);

      int[] best = new int[pairs.size()];
      double[] bestSim = new double[pairs.size()];
      for (int i = 0; i < pairs.size(); i++) {
        best[i] = -1;
        bestSim[i] = -2;
        for (int j = 0; j < stored.size(); j++) {
          double s = Vectors.cosine(query[i], stored.get(j));
          if (s > bestSim[i]) {
            bestSim[i] = s;
            best[i] = j;
          }
        }
      }

      double[] ownSim = new double[pairs.size()];
      for (int i = 0; i < pairs.size(); i++) {
        ownSim[i] = Vectors.cosine(query[i], stored.get(own[i]));
      }

      SemanticMatcher.LengthRule flat = SemanticMatcher.LengthRule.NONE;
      SemanticMatcher.LengthRule standardLength = SemanticMatcher.LengthRule.STANDARD;
      Map<String, Setting> gates = new LinkedHashMap<>();
      gates.put("none (plain cosine)", new Setting(VerificationGate.of(Set.of()), flat));
      gates.put("numbers", new Setting(VerificationGate.of(EnumSet.of(Rule.NUMBERS)), flat));
      gates.put("negation", new Setting(VerificationGate.of(EnumSet.of(Rule.NEGATION)), flat));
      gates.put("order", new Setting(VerificationGate.of(EnumSet.of(Rule.ORDER)), flat));
      gates.put("roles", new Setting(VerificationGate.of(EnumSet.of(Rule.ROLES)), flat));
      gates.put("num+neg+roles", new Setting(VerificationGate.of(EnumSet.of(Rule.NUMBERS, Rule.NEGATION, Rule.ROLES)),
          flat));
      gates.put("num+neg+order (standard gate), flat threshold", new Setting(VerificationGate.standard(), flat));
      gates.put("all four rules, flat threshold", new Setting(VerificationGate.of(EnumSet.allOf(Rule.class)), flat));
      gates.put("none, length rule", new Setting(VerificationGate.of(Set.of()), standardLength));
      gates.put("standard gate + length rule (the default)", new Setting(VerificationGate.standard(), standardLength));
      long positives = pairs.stream().filter(Pair::paraphrase).count();
      long negatives = pairs.size() - positives;
      for (Map.Entry<String, Setting> g : gates.entrySet()) {
        VerificationGate gate = g.getValue().gate();
        SemanticMatcher matcher = new SemanticMatcher(gate, g.getValue().lengthRule());
        boolean[] passes = new boolean[pairs.size()];
        boolean[] ownPasses = new boolean[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
          passes[i] = gate.check(queryText[i], storedText[best[i]]) == VerificationGate.Verdict.PASS;
          ownPasses[i] = gate.check(queryText[i], storedText[own[i]]) == VerificationGate.Verdict.PASS;
        }
        System.out.printf(Locale.ROOT, "%ngate: %s%n%9s %6s %9s %7s %11s %11s %10s %10s %10s%n", g.getKey(),
            "threshold", "hits", "precision", "recall", "false-hits", "other-entry", "identical", "pair-fh", "pair-rec");
        for (double t : THRESHOLDS) {
          int hits = 0;
          int correct = 0;
          int falseOnNegatives = 0;
          int otherEntry = 0;
          int identical = 0;
          int pairFalse = 0;
          int pairTrue = 0;
          for (int i = 0; i < pairs.size(); i++) {
            if (ownSim[i] >= matcher.requiredSimilarity(queryText[i], storedText[own[i]], t) && ownPasses[i]) {
              if (pairs.get(i).paraphrase()) {
                pairTrue++;
              } else {
                pairFalse++;
              }
            }
            if (bestSim[i] < matcher.requiredSimilarity(queryText[i], storedText[best[i]], t) || !passes[i]) {
              continue;
            }
            hits++;
            boolean ownEntry = best[i] == own[i];
            boolean same = storedText[best[i]].equals(queryText[i]);
            if (ownEntry && pairs.get(i).paraphrase()) {
              correct++;
            }
            if (!ownEntry) {
              otherEntry++;
              if (same) {
                identical++;
              }
            }
            if (!pairs.get(i).paraphrase() && ownEntry) {
              falseOnNegatives++;
            }
          }
          System.out.printf(Locale.ROOT, "%9.3f %6d %9s %7.3f %10.1f%% %11d %10d %9.1f%% %10.3f%n", t, hits,
              hits == 0 ? "-" : String.format(Locale.ROOT, "%.3f", (double) correct / hits),
              (double) correct / positives, 100.0 * falseOnNegatives / negatives, otherEntry, identical,
              100.0 * pairFalse / negatives, (double) pairTrue / positives);
        }
      }

      System.out.printf(Locale.ROOT, "%nembedding latency (%s text, one call at a time, %s intra-op threads):%n",
          raw ? "raw" : "normalised", threads == 0 ? "auto" : threads);
      printLatency("prompts <= 250 chars", shortLat);
      printLatency("prompts  > 250 chars", longLat);

      System.out.printf(Locale.ROOT, "%ngate cost per check (query vs its best candidate, all %d pairs):%n",
          pairs.size());
      for (Map.Entry<String, Setting> g : gates.entrySet()) {
        System.out.printf(Locale.ROOT, "  %-45s %7.0f ns/op%n", g.getKey(),
            gateCost(g.getValue().gate(), queryText, storedText, best));
      }
      normaliseCost(pairs);
      if (System.getProperty("dump") != null) {
        // Lookups the default matcher gets wrong at the given threshold (-Ddump=0.945), for reading.
        double dumpAt = Double.parseDouble(System.getProperty("dump"));
        SemanticMatcher defaultMatcher = new SemanticMatcher(VerificationGate.standard());
        for (int i = 0; i < pairs.size(); i++) {
          boolean pass = defaultMatcher.match(query[i], queryText[i],
              new SemanticMatcher.Candidate(stored.get(best[i]), storedText[best[i]]), dumpAt).hit();
          if (bestSim[i] >= dumpAt && !storedText[best[i]].equals(queryText[i])
              && pass != (pairs.get(i).paraphrase() && best[i] == own[i])) {
            System.out.printf(Locale.ROOT, "DUMP %s %.3f label=%s own=%s%n  q: %s%n  c: %s%n", pass ? "FALSE-HIT" : "MISSED",
                bestSim[i], pairs.get(i).paraphrase() ? 1 : 0, best[i] == own[i], queryText[i], storedText[best[i]]);
          }
        }
      }

      fivePrompts(embedder);
    }
  }

  private static float[] timedEmbed(OnnxEmbedder embedder, String text, int originalLength, Histogram shortLat,
      Histogram longLat) {
    long start = System.nanoTime();
    float[] v = embedder.embed(text);
    long micros = (System.nanoTime() - start) / 1000;
    (originalLength <= 250 ? shortLat : longLat).recordValue(micros);
    return v;
  }

  private static void printLatency(String label, Histogram h) {
    if (h.getTotalCount() == 0) {
      System.out.printf(Locale.ROOT, "  %s: none%n", label);
      return;
    }
    System.out.printf(Locale.ROOT, "  %s: n=%d p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", label, h.getTotalCount(),
        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0);
  }

  private static double gateCost(VerificationGate gate, String[] queryText, String[] storedText, int[] best) {
    int sink = 0;
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < queryText.length; i++) {
        sink += gate.check(queryText[i], storedText[best[i]]).ordinal();
      }
    }
    int rounds = 50;
    long start = System.nanoTime();
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < queryText.length; i++) {
        sink += gate.check(queryText[i], storedText[best[i]]).ordinal();
      }
    }
    long elapsed = System.nanoTime() - start;
    if (sink == 42) {
      System.out.print("");
    }
    return (double) elapsed / rounds / queryText.length;
  }

  private static void normaliseCost(List<Pair> pairs) {
    int sink = 0;
    for (int round = 0; round < 70; round++) {
      long start = System.nanoTime();
      for (Pair p : pairs) {
        sink += PromptNormalizer.normalize(p.b()).length();
      }
      if (round == 69) {
        System.out.printf(Locale.ROOT, "  %-45s %7.0f ns/op%n", "normaliser",
            (double) (System.nanoTime() - start) / pairs.size());
      }
    }
    if (sink == 42) {
      System.out.print("");
    }
  }

  private static void fivePrompts(OnnxEmbedder embedder) {
    String storedPrompt = "How do I reset my password?";
    List<String> prompts = List.of(storedPrompt, "I forgot my password, help", "What's the process to reset my pw?",
        "How do I reset my router?", "How do I not reset my password?");
    String storedNorm = PromptNormalizer.normalize(storedPrompt);
    SemanticMatcher.Candidate candidate = new SemanticMatcher.Candidate(embedder.embed(storedNorm), storedNorm);
    SemanticMatcher matcher = new SemanticMatcher(VerificationGate.standard());
    System.out.printf(Locale.ROOT, "%nfive prompts against \"%s\" (stored first), standard gate and length rule:%n",
        storedPrompt);
    for (String p : prompts) {
      String n = PromptNormalizer.normalize(p);
      float[] v = embedder.embed(n);
      SemanticMatcher.Match at90 = matcher.match(v, n, candidate, 0.90);
      SemanticMatcher.Match atDefault = matcher.match(v, n, candidate, SemanticMatcher.DEFAULT_THRESHOLD);
      System.out.printf(Locale.ROOT, "  %-38s cos %.3f raw-cos %.3f  gate %-16s at 0.90: %-16s at %.3f: %s%n",
          '"' + p + '"', at90.similarity(), Vectors.cosine(embedder.embed(p), embedder.embed(storedPrompt)),
          at90.verdict(), at90.outcome(), SemanticMatcher.DEFAULT_THRESHOLD, atDefault.outcome());
    }
  }

  private static OnnxEmbedder.Model model(String name) {
    return switch (name) {
      case "bge" -> OnnxEmbedder.Model.BGE_SMALL_EN_V15_Q;
      case "minilm" -> OnnxEmbedder.Model.ALL_MINILM_L6_V2_Q;
      default -> throw new IllegalArgumentException("--model: " + name + " (expected: bge or minilm)");
    };
  }

  private static List<Pair> read(Path path, int limit) throws IOException {
    List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    List<String> header = Arrays.asList(lines.get(0).split("\t"));
    int a = header.indexOf("text_a");
    int b = header.indexOf("text_b");
    int label = header.indexOf("label");
    if (a < 0 || b < 0 || label < 0) {
      throw new IllegalArgumentException(path + ": header " + header + " (expected: id, text_a, text_b, label)");
    }
    List<Pair> pairs = new ArrayList<>();
    for (int i = 1; i < lines.size() && pairs.size() < limit; i++) {
      String[] f = lines.get(i).split("\t", -1);
      pairs.add(new Pair(f[a], f[b], f[label].equals("1")));
    }
    return pairs;
  }
}
