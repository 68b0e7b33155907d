package dev.spillway.bench;

import dev.spillway.semantic.OnnxEmbedder;
import dev.spillway.semantic.PromptNormalizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.HdrHistogram.Histogram;

/**
 * Embedding latency, one call at a time on the calling thread, for prompts of a given length: what a worker thread of
 * the node's cache stage pays per lookup ({@code PromptNormalizer.normalize} then {@code embed}). For each length in
 * {@code --chars} it makes {@code --n} distinct prompts of exactly that many characters (cut at a word boundary, so a
 * few characters shorter), warms up, and prints p50, p90, p99, p99.9 and max with the mean number of word pieces.
 *
 * <p>Prompts are question-like English made from a fixed word list with a fixed seed, or, with {@code --source
 * path.tsv}, made by joining the questions of a paraphrase dataset (columns text_a and text_b) until the length is
 * reached. Pin the JVM to one core for numbers that mean something on a shared machine:
 *
 * <pre>
 * taskset -c 1 java -cp "$CP" dev.spillway.bench.EmbedLatency --chars 250 --n 2000
 * </pre>
 *
 * <p>Options: {@code --model bge|minilm} (default: the node's default model), {@code --chars 60,250,500} (default
 * 250), {@code --n N} prompts per length (default 2000), {@code --warmup N} calls before measuring (default 500),
 * {@code --threads N} ONNX Runtime intra-op threads (default 1), {@code --window N} word pieces per model run (default:
 * the model's), {@code --source path.tsv}.
 */
public final class EmbedLatency {
  private static final String[] OPENERS = {"how do i", "what is the best way to", "why does my",
      "can you explain how to", "what are the differences between", "is it possible to", "where can i find", "which is better for",
      "how long does it take to", "what should i do if i want to", "how can i", "what happens when you"};
  private static final String[] WORDS = ("reset password account email phone laptop server database python java "
      + "learn improve install configure router network wifi bank loan interest rate mortgage credit card travel "
      + "visa passport flight hotel india america europe london university degree engineering computer science "
      + "machine learning data analysis statistics business startup marketing money investment stock market "
      + "weight loss diet exercise running sleep health doctor medicine job interview resume salary company "
      + "manager career book novel movie music guitar piano language english spanish german write essay "
      + "application android iphone windows linux install update battery screen camera photo video youtube "
      + "instagram facebook google search engine website design developer programming code algorithm the a of "
      + "to and in for with on my your best good new first without after before during between quickly really "
      + "actually possible important different several many most people time year day world life way thing").split(
      " ");

  private EmbedLatency() {}

  public static void main(String[] args) throws IOException {
    OnnxEmbedder.Model model = null;
    int[] lengths = {250};
    int n = 2000;
    int warmup = 500;
    int threads = 1;
    int window = 0;
    Path source = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--model" -> model = switch (args[++i]) {
          case "bge" -> OnnxEmbedder.Model.BGE_SMALL_EN_V15_Q;
          case "minilm" -> OnnxEmbedder.Model.ALL_MINILM_L6_V2_Q;
          default -> throw new IllegalArgumentException("--model: " + args[i] + " (expected: bge or minilm)");
        };
        case "--chars" -> lengths = parseLengths(args[++i]);
        case "--n" -> n = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--window" -> window = Integer.parseInt(args[++i]);
        case "--source" -> source = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option: " + args[i]
            + " (expected: --model, --chars, --n, --warmup, --threads, --window, --source)");
      }
    }
    List<String> questions = source == null ? null : questions(source);
    System.out.printf(Locale.ROOT, "machine: %d cores (%s), cpus allowed %s, %s %s; load average at start %s%n",
        Runtime.getRuntime().availableProcessors(), cpuModel(), cpusAllowed(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"), loadAverage());
    long loadStart = System.nanoTime();
    try (OnnxEmbedder embedder = model == null ? OnnxEmbedder.defaultModel(threads)
        : OnnxEmbedder.load(model, threads, window == 0 ? model.window() : window)) {
      System.out.printf(Locale.ROOT, "model: %s, intra-op threads %d, window %s, loaded in %.2f s; prompts: %s%n",
          embedder.modelName(), threads, window == 0 ? "the model's" : Integer.toString(window),
          (System.nanoTime() - loadStart) / 1e9, source == null ? "synthetic" : "joined questions from " + source);
      Random random = new Random(12);
      List<String> warm = prompts(random, questions, 250, warmup);
      for (String p : warm) {
        embedder.embed(PromptNormalizer.normalize(p));
      }
      System.out.printf(Locale.ROOT, "%6s %6s %7s %8s %8s %8s %8s %8s%n", "chars", "n", "tokens", "p50 ms", "p90 ms",
          "p99 ms", "p99.9 ms", "max ms");
      for (int chars : lengths) {
        List<String> prompts = prompts(random, questions, chars, n);
        Histogram h = new Histogram(3);
        long tokens = 0;
        for (String p : prompts) {
          long start = System.nanoTime();
          String text = PromptNormalizer.normalize(p);
          float[] v = embedder.embed(text);
          h.recordValue((System.nanoTime() - start) / 1000);
          if (v.length != embedder.dimension()) {
            throw new IllegalStateException("dimension: " + v.length);
          }
          tokens += embedder.countTokens(text);
        }
        System.out.printf(Locale.ROOT, "%6d %6d %7.1f %8.2f %8.2f %8.2f %8.2f %8.2f%n", chars, prompts.size(),
            (double) tokens / prompts.size(), ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9), h.getMaxValue() / 1000.0);
      }
    }
    System.out.printf(Locale.ROOT, "load average at end %s%n", loadAverage());
  }

  private static double ms(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1000.0;
  }

  private static int[] parseLengths(String s) {
    String[] parts = s.split(",");
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Integer.parseInt(parts[i].trim());
      if (out[i] < 10) {
        throw new IllegalArgumentException("--chars: " + out[i] + " (expected: >= 10)");
      }
    }
    return out;
  }

  /** {@code count} distinct prompts of at most {@code chars} characters, each within a word of that length. */
  private static List<String> prompts(Random random, List<String> questions, int chars, int count) {
    List<String> out = new ArrayList<>(count);
    while (out.size() < count) {
      StringBuilder sb = new StringBuilder(chars + 64);
      while (sb.length() < chars) {
        if (sb.length() > 0) {
          sb.append(' ');
        }
        if (questions != null) {
          sb.append(questions.get(random.nextInt(questions.size())));
        } else {
          sb.append(sentence(random));
        }
      }
      int cut = sb.lastIndexOf(" ", chars);
      out.add(cut > chars / 2 ? sb.substring(0, cut) : sb.substring(0, chars));
    }
    return out;
  }

  private static String sentence(Random random) {
    StringBuilder sb = new StringBuilder(OPENERS[random.nextInt(OPENERS.length)]);
    int words = 3 + random.nextInt(8);
    for (int i = 0; i < words; i++) {
      sb.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
    }
    return sb.append('?').toString();
  }

  private static List<String> questions(Path path) throws IOException {
    List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    List<String> header = List.of(lines.get(0).split("\t"));
    int a = header.indexOf("text_a");
    int b = header.indexOf("text_b");
    if (a < 0 || b < 0) {
      throw new IllegalArgumentException(path + ": header " + header + " (expected: text_a and text_b)");
    }
    List<String> out = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t", -1);
      out.add(f[a]);
      out.add(f[b]);
    }
    return out;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      return "unknown CPU";
    }
    return "unknown CPU";
  }

  private static String cpusAllowed() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Cpus_allowed_list")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      return "?";
    }
    return "?";
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }
}
