package dev.spillway.controlplane;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the control plane, bound from {@code spillway.*} (application.yml maps the SPILLWAY_* environment
 * variables of the contract onto these).
 *
 * @param adminToken     the bootstrap admin API token ({@code SPILLWAY_ADMIN_TOKEN})
 * @param secretKey      base64 or hex of 32 bytes that seals provider keys at rest ({@code SPILLWAY_SECRET_KEY})
 * @param nodeToken      the credential nodes present when they poll ({@code SPILLWAY_NODE_TOKEN})
 * @param longPollTimeout how long a snapshot poll waits for a newer version before answering 304
 * @param demoSeedFile   when set, the first start seeds the demo and writes its virtual key to this file
 */
@ConfigurationProperties("spillway")
public record SpillwayProperties(
    String adminToken,
    String secretKey,
    String nodeToken,
    Duration longPollTimeout,
    String demoSeedFile) {

  public SpillwayProperties {
    longPollTimeout = longPollTimeout == null ? Duration.ofSeconds(30) : longPollTimeout;
  }

  @Override
  public String toString() {
    return "SpillwayProperties[adminToken=<secret>, secretKey=<secret>, nodeToken=<secret>, longPollTimeout="
        + longPollTimeout + ", demoSeedFile=" + demoSeedFile + "]";
  }
}
