package dev.spillway.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The metric names Prometheus can see from Spillway, for checking what the dashboard and docs query.
 *
 * <p>The node's names come from its source: every string literal {@code "spillway_…"} under
 * {@code data-plane/src/main/java} (metric builders and {@code metrics.counter/gauge(...)} calls), so renaming a
 * metric in the code breaks the dashboard test until the dashboard follows. The exposition adds suffixes the source
 * does not spell: {@code _total} on counters, {@code _bucket/_sum/_count} on histograms.
 *
 * <p>The control plane's come from Micrometer (dotted names, converted when scraped) and from the binders Spring
 * Boot registers (JVM, HikariCP), so they are listed here as agreed for issue 13, together with the node's per-team
 * counters that were agreed at the same time. {@link #declaredNodeNames()} lets a test check those agreed node names
 * against the code once the code has them.
 */
final class MetricCatalog {
  /** Per-team and per-route counters of the node (issue 13), labels in the comments. */
  static final Set<String> AGREED_NODE_METRICS = Set.of(
      "spillway_team_requests_total",   // team, route, status_class
      "spillway_team_tokens_total",     // team, route, kind = input | output | cached_input | reasoning
      "spillway_team_cost_usd_total",   // team, route
      "spillway_team_cache_total");     // team, route, result

  /** Control plane, Prometheus endpoint on SPILLWAY_CP_ADMIN_PORT (Micrometer names after conversion). */
  static final Set<String> AGREED_CONTROL_PLANE_METRICS = Set.of(
      "spillway_cp_snapshot_build_seconds",        // timer: _count, _sum, _bucket, _max
      "spillway_cp_snapshot_bytes",
      "spillway_cp_snapshot_version",
      "spillway_cp_nodes",                         // status
      "spillway_cp_node_poll_seconds",             // timer
      "spillway_cp_usage_ingest_lag_seconds",
      "spillway_cp_usage_events_ingested_total");

  /** What Spring Boot's Micrometer binders expose (names as scraped). */
  static final Set<String> FRAMEWORK_METRICS = Set.of(
      "hikaricp_connections", "hikaricp_connections_active", "hikaricp_connections_idle",
      "hikaricp_connections_pending", "hikaricp_connections_max", "hikaricp_connections_min",
      "hikaricp_connections_timeout_total", "hikaricp_connections_acquire_seconds",
      "jvm_memory_used_bytes", "jvm_memory_committed_bytes", "jvm_memory_max_bytes",
      "jvm_gc_pause_seconds", "jvm_threads_live_threads", "jvm_threads_states_threads",
      "process_cpu_usage", "system_cpu_usage", "process_uptime_seconds");

  private static final Pattern SPILLWAY_LITERAL = Pattern.compile("\"(spillway_[a-z0-9_]+)\"");
  private static final Set<String> SUFFIXES = Set.of("_total", "_bucket", "_sum", "_count", "_created", "_max");

  private MetricCatalog() {
  }

  /** Every {@code "spillway_…"} string literal in the node's main sources. */
  static Set<String> declaredNodeNames() {
    Path sources = DeployFiles.repoRoot().resolve("data-plane/src/main/java");
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.walk(sources)) {
      files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
        Matcher m = SPILLWAY_LITERAL.matcher(DeployFiles.read(f));
        while (m.find()) {
          names.add(m.group(1));
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  /**
   * Micrometer meter names the control plane declares ({@code "spillway.cp.…"} string literals under
   * {@code control-plane/src/main/java}), converted as the Prometheus registry does: dots become underscores (the
   * registry then appends a unit or {@code _total}).
   */
  static Set<String> declaredControlPlaneNames() {
    Path sources = DeployFiles.repoRoot().resolve("control-plane/src/main/java");
    Pattern literal = Pattern.compile("\"(spillway[._]cp[._][a-z0-9._]+)\"");
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.walk(sources)) {
      files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
        Matcher m = literal.matcher(DeployFiles.read(f));
        while (m.find()) {
          names.add(m.group(1).replace('.', '_'));
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  /** Base names of everything scrapeable: declared in the node's code, agreed, or from the framework. */
  static Set<String> knownBaseNames() {
    Set<String> all = new TreeSet<>(declaredNodeNames());
    all.addAll(AGREED_NODE_METRICS);
    all.addAll(AGREED_CONTROL_PLANE_METRICS);
    all.addAll(FRAMEWORK_METRICS);
    return all;
  }

  /**
   * Whether a name read in a query is exposed: a known base name itself, or one with a suffix the exposition adds
   * ({@code x} declared as a counter is scraped as {@code x_total}; a histogram {@code x} as {@code x_bucket} etc.).
   */
  static boolean isExposed(String scrapedName, Set<String> known) {
    if (known.contains(scrapedName)) {
      return true;
    }
    for (String suffix : SUFFIXES) {
      if (scrapedName.endsWith(suffix)) {
        String base = scrapedName.substring(0, scrapedName.length() - suffix.length());
        // Prometheus' client drops a declared "_total" and adds it back; histograms of a "_total"-free base only.
        if (known.contains(base) || known.contains(base + "_total")) {
          return true;
        }
      }
    }
    return false;
  }
}
