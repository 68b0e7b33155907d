package dev.spillway.controlplane.dashboard;

import dev.spillway.config.LoggingConfig;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.LoggingBody;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A team's request-log settings as the dashboard edits them: content policy, retention in days (blank: 30) and
 * redaction patterns, one per line (blank lines are ignored).
 */
public record LoggingForm(String content, String retentionDays, String redact) {
  /** The API names a pattern {@code logging.redact[i]}; the form has one text area for all of them. */
  private static final Pattern PATTERN_FIELD = Pattern.compile("logging\\.redact\\[(\\d+)]");

  public LoggingForm {
    content = content == null || content.isBlank() ? "none" : content.strip();
    retentionDays = retentionDays == null ? "" : retentionDays;
    redact = redact == null ? "" : redact;
  }

  public static LoggingForm of(LoggingConfig logging) {
    if (logging == null) {
      return new LoggingForm("none", "", "");
    }
    return new LoggingForm(logging.content() == null ? "none" : logging.content().wireName(),
        logging.retentionDays() == null ? "" : logging.retentionDays().toString(),
        logging.redact() == null ? "" : String.join("\n", logging.redact()));
  }

  /** The settings for the admin API's validation (errors name {@code logging.*}); null: no settings. */
  public LoggingBody body() {
    Integer retention = Forms.integer("logging.retention_days", retentionDays);
    List<String> patterns = Arrays.stream(redact.split("\\R")).map(String::strip).filter(p -> !p.isEmpty())
        .toList();
    if ("none".equals(content) && retention == null && patterns.isEmpty()) {
      return null;
    }
    return new LoggingBody(content, retention, patterns.isEmpty() ? null : patterns);
  }

  /** Validation errors by field, a pattern's error on the text area with its line number. */
  public Map<String, String> errors(ApiException e) {
    Map<String, String> errors = Forms.errors(e);
    String field = e.field();
    Matcher m = field == null ? null : PATTERN_FIELD.matcher(field);
    if (m == null || !m.matches()) {
      return errors;
    }
    int index = Integer.parseInt(m.group(1));
    // Blank lines are not patterns: count the line the pattern stands on.
    String[] lines = redact.split("\\R");
    int line = 0;
    for (int seen = -1; line < lines.length; line++) {
      if (!lines[line].isBlank() && ++seen == index) {
        break;
      }
    }
    return Map.of("logging.redact", "line " + (line + 1) + " " + errors.get(field));
  }
}
