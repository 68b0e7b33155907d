package dev.spillway.config;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Request-log settings of a team or a virtual key; a key's settings win over its team's field by field, and a null
 * field means the next level's (in the end {@link #DEFAULT}).
 *
 * @param content       what the log keeps of the content
 * @param retentionDays how long the team's request logs are kept, 1–3650
 * @param redact        regular expressions (Java syntax) whose matches are redacted from stored bodies under
 *                      {@code redacted}, on top of the built-in secrets and personal data; null means none. A key's
 *                      list is added to its team's, not put in its place: a key cannot undo its team's redaction
 */
public record LoggingConfig(ContentPolicy content, Integer retentionDays, List<String> redact) {
  public static final int MAX_RETENTION_DAYS = 3650;
  public static final int MAX_PATTERNS = 20;
  public static final int MAX_PATTERN_LENGTH = 200;
  public static final LoggingConfig DEFAULT = new LoggingConfig(ContentPolicy.NONE, 30, List.of());

  public LoggingConfig {
    if (retentionDays != null && (retentionDays < 1 || retentionDays > MAX_RETENTION_DAYS)) {
      throw new IllegalArgumentException("retentionDays: " + retentionDays + " (expected: 1-" + MAX_RETENTION_DAYS
          + ")");
    }
    if (redact != null) {
      if (redact.size() > MAX_PATTERNS) {
        throw new IllegalArgumentException("redact: " + redact.size() + " patterns (expected: at most "
            + MAX_PATTERNS + ")");
      }
      for (String pattern : redact) {
        checkPattern(pattern);
      }
      redact = List.copyOf(redact);
    }
  }

  /** Throws {@link IllegalArgumentException} naming what is wrong with {@code pattern}. */
  public static void checkPattern(String pattern) {
    if (pattern == null || pattern.isEmpty() || pattern.length() > MAX_PATTERN_LENGTH) {
      throw new IllegalArgumentException("redact: a pattern must have 1-" + MAX_PATTERN_LENGTH + " characters");
    }
    try {
      Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("redact: '" + pattern + "' is not a regular expression: "
          + e.getDescription());
    }
  }

  /** {@code key}'s settings over {@code team}'s over the defaults; either may be null. */
  public static LoggingConfig effective(LoggingConfig team, LoggingConfig key) {
    ContentPolicy content = DEFAULT.content;
    int retention = DEFAULT.retentionDays;
    List<String> patterns = List.of();
    for (LoggingConfig level : new LoggingConfig[] {team, key}) {
      if (level == null) {
        continue;
      }
      content = level.content != null ? level.content : content;
      retention = level.retentionDays != null ? level.retentionDays : retention;
      if (level.redact != null && !level.redact.isEmpty()) {
        patterns = patterns.isEmpty() ? level.redact
            : java.util.stream.Stream.concat(patterns.stream(), level.redact.stream()).toList();
      }
    }
    return new LoggingConfig(content, retention, patterns);
  }
}
