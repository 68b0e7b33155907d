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
    Integer usageRetentionDays) {

  public SpillwayProperties {
    longPollTimeout = longPollTimeout == null ? Duration.ofSeconds(30) : longPollTimeout;
    snapshotHistory = snapshotHistory == null ? 50 : Math.max(2, snapshotHistory);
    nodeStaleAfter = nodeStaleAfter == null ? Duration.ofSeconds(90) : nodeStaleAfter;
    usageRetentionDays = usageRetentionDays == null ? 90 : usageRetentionDays;
    if (usageRetentionDays < 1) {
      throw new IllegalArgumentException("SPILLWAY_USAGE_RETENTION_DAYS: " + usageRetentionDays
          + " (expected: >= 1)");
    }
  }

  @Override
  public String toString() {
    return "SpillwayProperties[adminToken=<secret>, secretKey=<secret>, nodeToken=<secret>, longPollTimeout="
        + longPollTimeout + ", demoSeedFile=" + demoSeedFile + ", configFile=" + configFile + ", snapshotHistory="
        + snapshotHistory + ", nodeStaleAfter=" + nodeStaleAfter + ", usageRetentionDays=" + usageRetentionDays
        + "]";
  }
}
