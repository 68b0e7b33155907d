package dev.spillway.controlplane.requestlog;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where replays are sent, bound from {@code spillway.replay.*}.
 *
 * @param dataPlaneUrl a data-plane node the control plane reaches ({@code SPILLWAY_DP_URL}, default
 *                     {@code http://127.0.0.1:8000}); not the public address clients use
 * @param timeout      the whole replay, connect to answer (default 120 s: a slow model's full answer)
 */
@ConfigurationProperties("spillway.replay")
public record ReplaySettings(String dataPlaneUrl, Duration timeout) {
  public ReplaySettings {
    dataPlaneUrl = dataPlaneUrl == null || dataPlaneUrl.isBlank() ? "http://127.0.0.1:8000" : dataPlaneUrl.strip();
    if (!dataPlaneUrl.startsWith("http://") && !dataPlaneUrl.startsWith("https://")) {
      throw new IllegalArgumentException("SPILLWAY_DP_URL: " + dataPlaneUrl + " (expected: http:// or https://)");
    }
    while (dataPlaneUrl.endsWith("/")) {
      dataPlaneUrl = dataPlaneUrl.substring(0, dataPlaneUrl.length() - 1);
    }
    timeout = timeout == null ? Duration.ofSeconds(120) : timeout;
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("spillway.replay.timeout: " + timeout + " (expected: > 0)");
    }
  }

  URI endpoint(String path) {
    return URI.create(dataPlaneUrl + path);
  }
}
