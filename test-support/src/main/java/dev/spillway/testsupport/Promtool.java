package dev.spillway.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Prometheus' {@code promtool}, run as a process: {@code SPILLWAY_PROMTOOL} names it ({@code ./spillway test} unpacks
 * Debian's and sets it, with {@code SPILLWAY_PROMTOOL_TESTS=required}), else the one on the PATH. Without either, a
 * test that needs it is skipped, unless it is required, when it fails.
 */
public final class Promtool {
  /** What a run printed (stdout and stderr together) and its exit status. */
  public record Result(int exitCode, String output) {}

  private final Path binary;

  private Promtool(Path binary) {
    this.binary = binary;
  }

  /** The promtool to use, or the test is skipped (failed when {@code SPILLWAY_PROMTOOL_TESTS=required}). */
  public static Promtool require() {
    Optional<Path> found = find();
    if (found.isEmpty() && "required".equals(System.getenv("SPILLWAY_PROMTOOL_TESTS"))) {
      throw new AssertionError("SPILLWAY_PROMTOOL_TESTS=required but no promtool: set SPILLWAY_PROMTOOL");
    }
    Assumptions.assumeTrue(found.isPresent(), "promtool not found (SPILLWAY_PROMTOOL, PATH)");
    return new Promtool(found.get());
  }

  static Optional<Path> find() {
    String named = System.getenv("SPILLWAY_PROMTOOL");
    if (named != null && !named.isBlank()) {
      return Optional.of(Path.of(named)).filter(Files::isExecutable);
    }
    String path = System.getenv("PATH");
    for (String dir : path == null ? new String[0] : path.split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Runs {@code promtool args…} with {@code stdin} (or nothing) as its input, for at most a minute. */
  public Result run(String stdin, String... args) {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      try (var in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("promtool " + String.join(" ", args) + " did not finish in 60 s");
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
