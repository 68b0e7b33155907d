package dev.spillway.controlplane.common;

import dev.spillway.config.LoggingConfig;
import java.util.List;

/**
 * {@code {"content": "redacted", "retention_days": 30, "redact": ["ACME-\\d{6}"]}} on the admin API: the request-log
 * settings of a team or a key. Every field may be absent (null): the team's setting for a key, in the end the
 * defaults ({@code none}, 30 days, no patterns of one's own).
 */
public record LoggingBody(String content, Integer retentionDays, List<String> redact) {

  public static LoggingBody of(LoggingConfig config) {
    return config == null ? null : new LoggingBody(config.content() == null ? null : config.content().wireName(),
        config.retentionDays(), config.redact());
  }
}
