package dev.spillway.controlplane;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the control plane, bound from {@code spillway.*} (application.yml maps the SPILLWAY_* environment
 * variables of the contract onto these).
 *
 * @param adminToken      the bootstrap admin API token ({@code SPILLWAY_ADMIN_TOKEN})
 * @param secretKey       base64 or hex of 32 bytes that seals provider keys at rest ({@code SPILLWAY_SECRET_KEY})
 * @param nodeToken       the credential nodes present when they poll ({@code SPILLWAY_NODE_TOKEN})
 * @param longPollTimeout how long a snapshot poll waits for a newer version before answering 304
 * @param demoSeedFile    when set, the first start seeds the demo and writes its virtual key to this file
 * @param configFile      a declarative {@code spillway.yaml} applied at start ({@code SPILLWAY_CONFIG_FILE})
 * @param snapshotHistory how many stored snapshot versions to keep for history and restore
 * @param nodeStaleAfter  a node not heard from for this long is listed as {@code stale}
 * @param usageRetentionDays how long usage events are kept ({@code SPILLWAY_USAGE_RETENTION_DAYS}, at least 1)
 * @param alerts          budget alerts ({@code spillway.alerts.*})
 */
@ConfigurationProperties("spillway")
public record SpillwayProperties(
    String adminToken,
    String secretKey,
    String nodeToken,
    Duration longPollTimeout,
    String demoSeedFile,
    String configFile,
    Integer snapshotHistory,
    Duration nodeStaleAfter,
    Integer usageRetentionDays,
    Alerts alerts) {

  public SpillwayProperties {
    longPollTimeout = longPollTimeout == null ? Duration.ofSeconds(30) : longPollTimeout;
    snapshotHistory = snapshotHistory == null ? 50 : Math.max(2, snapshotHistory);
    nodeStaleAfter = nodeStaleAfter == null ? Duration.ofSeconds(90) : nodeStaleAfter;
    usageRetentionDays = usageRetentionDays == null ? 90 : usageRetentionDays;
    if (usageRetentionDays < 1) {
      throw new IllegalArgumentException("SPILLWAY_USAGE_RETENTION_DAYS: " + usageRetentionDays
          + " (expected: >= 1)");
    }
    alerts = alerts == null ? new Alerts(null, null, null, null, null, null) : alerts;
  }

  /**
   * Where budget alerts are sent and how a failed POST is retried.
   *
   * @param webhookUrl          POSTed a JSON body per alert ({@code SPILLWAY_ALERT_WEBHOOK_URL}); blank: alerts are
   *                            logged and stored only. Such URLs often carry a secret in their path or query, so it
   *                            is never logged
   * @param webhookSecret       when set, the body's HMAC-SHA256 goes along as {@code x-spillway-signature}
   *                            ({@code SPILLWAY_ALERT_WEBHOOK_SECRET})
   * @param webhookTimeout      the whole POST, connect to answer (default 5 s)
   * @param retryInitialBackoff the wait after the first failed attempt, doubled after each further one (1 s)
   * @param retryMaxBackoff     the longest wait between two attempts (1 h)
   * @param maxAttempts         attempts before a delivery is given up as failed (10)
   */
  public record Alerts(String webhookUrl, String webhookSecret, Duration webhookTimeout,
      Duration retryInitialBackoff, Duration retryMaxBackoff, Integer maxAttempts) {

    public Alerts {
      webhookUrl = webhookUrl == null || webhookUrl.isBlank() ? null : webhookUrl.strip();
      webhookSecret = webhookSecret == null || webhookSecret.isEmpty() ? null : webhookSecret;
      webhookTimeout = webhookTimeout == null ? Duration.ofSeconds(5) : webhookTimeout;
      retryInitialBackoff = retryInitialBackoff == null ? Duration.ofSeconds(1) : retryInitialBackoff;
      retryMaxBackoff = retryMaxBackoff == null ? Duration.ofHours(1) : retryMaxBackoff;
      maxAttempts = maxAttempts == null ? 10 : maxAttempts;
      if (webhookUrl != null && !webhookUrl.startsWith("http://") && !webhookUrl.startsWith("https://")) {
        // The value itself may hold a secret: say what is wrong without echoing it.
        throw new IllegalArgumentException("SPILLWAY_ALERT_WEBHOOK_URL: must start with http:// or https://");
      }
      if (webhookTimeout.isNegative() || webhookTimeout.isZero()) {
        throw new IllegalArgumentException("spillway.alerts.webhook-timeout: " + webhookTimeout
            + " (expected: > 0)");
      }
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("spillway.alerts.max-attempts: " + maxAttempts + " (expected: >= 1)");
      }
    }

    @Override
    public String toString() {
      return "Alerts[webhookUrl=" + (webhookUrl == null ? "<unset>" : "<secret>") + ", webhookSecret="
          + (webhookSecret == null ? "<unset>" : "<secret>") + ", webhookTimeout=" + webhookTimeout
          + ", retryInitialBackoff=" + retryInitialBackoff + ", retryMaxBackoff=" + retryMaxBackoff
          + ", maxAttempts=" + maxAttempts + "]";
    }
  }

  @Override
  public String toString() {
    return "SpillwayProperties[adminToken=<secret>, secretKey=<secret>, nodeToken=<secret>, longPollTimeout="
        + longPollTimeout + ", demoSeedFile=" + demoSeedFile + ", configFile=" + configFile + ", snapshotHistory="
        + snapshotHistory + ", nodeStaleAfter=" + nodeStaleAfter + ", usageRetentionDays=" + usageRetentionDays
        + ", alerts=" + alerts + "]";
  }
}
