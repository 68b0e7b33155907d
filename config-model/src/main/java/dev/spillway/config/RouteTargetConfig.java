package dev.spillway.config;

import java.util.Objects;

/** A provider (by name) and the upstream model to ask it for; {@code weight} matters among primary targets. */
public record RouteTargetConfig(String provider, String model, int weight) {
  public RouteTargetConfig {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(model, "model");
  }
}
