package dev.spillway.dataplane.metrics;

import java.util.Map;

/**
 * Where a node serves its metrics, and how many teams and routes its per-team counters tell apart (environment, see
 * docs/observability.md).
 *
 * @param adminHost the admin listener's address ({@code SPILLWAY_DP_ADMIN_HOST}, {@value #DEFAULT_ADMIN_HOST}):
 *                  loopback by default, because {@code /metrics} names teams and routes; containers set
 *                  {@code 0.0.0.0}
 * @param adminPort the admin listener's port ({@code SPILLWAY_DP_ADMIN_PORT}; default the public port plus
 *                  {@value #ADMIN_PORT_OFFSET}, so 9000 for 8000; 0: an ephemeral port, which a public port of 0
 *                  implies)
 * @param maxTeams  distinct {@code team} label values before further teams are counted as {@code other}
 *                  ({@code SPILLWAY_DP_METRICS_MAX_TEAMS}, {@value #DEFAULT_MAX_TEAMS})
 * @param maxRoutes distinct {@code route} label values before further routes are counted as {@code other}
 *                  ({@code SPILLWAY_DP_METRICS_MAX_ROUTES}, {@value #DEFAULT_MAX_ROUTES})
 */
public record MetricsSettings(String adminHost, int adminPort, int maxTeams, int maxRoutes) {
  public static final String DEFAULT_ADMIN_HOST = "127.0.0.1";
  public static final int ADMIN_PORT_OFFSET = 1000;
  public static final int DEFAULT_MAX_TEAMS = 100;
  public static final int DEFAULT_MAX_ROUTES = 100;

  public MetricsSettings {
    if (adminHost == null || adminHost.isBlank()) {
      throw new IllegalArgumentException("SPILLWAY_DP_ADMIN_HOST: empty (expected: an address, e.g. 127.0.0.1)");
    }
    if (adminPort < 0 || adminPort > 65535) {
      throw new IllegalArgumentException("SPILLWAY_DP_ADMIN_PORT: " + adminPort + " (expected: 0-65535)");
    }
    if (maxTeams < 1) {
      throw new IllegalArgumentException("SPILLWAY_DP_METRICS_MAX_TEAMS: " + maxTeams + " (expected: >= 1)");
    }
    if (maxRoutes < 1) {
      throw new IllegalArgumentException("SPILLWAY_DP_METRICS_MAX_ROUTES: " + maxRoutes + " (expected: >= 1)");
    }
  }

  /** Defaults for a node whose public port is {@code publicPort}, overridden by {@code env}. */
  public static MetricsSettings from(Map<String, String> env, int publicPort) {
    String port = env.get("SPILLWAY_DP_ADMIN_PORT");
    int adminPort;
    if (port != null && !port.isBlank()) {
      adminPort = Integer.parseInt(port.strip());
    } else if (publicPort == 0) {
      adminPort = 0;
    } else if (publicPort + ADMIN_PORT_OFFSET > 65535) {
      throw new IllegalArgumentException("SPILLWAY_DP_ADMIN_PORT must be set: the default, port " + publicPort
          + " + " + ADMIN_PORT_OFFSET + ", is not a port");
    } else {
      adminPort = publicPort + ADMIN_PORT_OFFSET;
    }
    String host = env.get("SPILLWAY_DP_ADMIN_HOST");
    return new MetricsSettings(host == null || host.isBlank() ? DEFAULT_ADMIN_HOST : host.strip(), adminPort,
        Integer.parseInt(env.getOrDefault("SPILLWAY_DP_METRICS_MAX_TEAMS", Integer.toString(DEFAULT_MAX_TEAMS))),
        Integer.parseInt(env.getOrDefault("SPILLWAY_DP_METRICS_MAX_ROUTES",
            Integer.toString(DEFAULT_MAX_ROUTES))));
  }
}
