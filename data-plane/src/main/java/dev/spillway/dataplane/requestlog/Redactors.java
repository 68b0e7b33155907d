package dev.spillway.dataplane.requestlog;

import dev.spillway.config.ContentPolicy;
import dev.spillway.config.LoggingConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The redactor each content policy asks for, its admin patterns compiled once: a snapshot has one pattern list per
 * team and key that sets any, and every request of theirs needs the same compiled rules. Thread-safe.
 */
public final class Redactors {
  /** Distinct pattern lists kept compiled; past that the cache starts over rather than grow. */
  private static final int MAX_COMPILED = 1024;

  private final Map<List<String>, Redactor> compiled = new ConcurrentHashMap<>();

  /** What {@code policy} keeps content through: its redactor under {@code redacted}, null (as is) under {@code full}. */
  public Redactor forPolicy(LoggingConfig policy) {
    if (policy.content() != ContentPolicy.REDACTED) {
      return null;
    }
    List<String> patterns = policy.redact();
    if (patterns == null || patterns.isEmpty()) {
      return Redactor.BUILT_IN_ONLY;
    }
    Redactor redactor = compiled.get(patterns);
    if (redactor == null) {
      if (compiled.size() >= MAX_COMPILED) {
        compiled.clear();
      }
      redactor = Redactor.with(patterns);
      compiled.put(patterns, redactor);
    }
    return redactor;
  }
}
