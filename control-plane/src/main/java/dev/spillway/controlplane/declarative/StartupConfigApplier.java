package dev.spillway.controlplane.declarative;

import dev.spillway.controlplane.SpillwayProperties;
import dev.spillway.controlplane.common.ApiException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Applies {@code SPILLWAY_CONFIG_FILE} at start. A file that cannot be read or applied stops the start: a
 * deployment that declared its config must not come up silently without it.
 */
@Component
@Order(0)
class StartupConfigApplier implements ApplicationRunner {
  private static final Logger log = LoggerFactory.getLogger(StartupConfigApplier.class);

  private final SpillwayProperties props;
  private final DeclarativeApplier applier;

  StartupConfigApplier(SpillwayProperties props, DeclarativeApplier applier) {
    this.props = props;
    this.applier = applier;
  }

  @Override
  public void run(ApplicationArguments args) {
    if (props.configFile() == null || props.configFile().isBlank()) {
      return;
    }
    Path file = Path.of(props.configFile());
    String yaml;
    try {
      yaml = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("SPILLWAY_CONFIG_FILE " + file + " cannot be read: " + e.getMessage(), e);
    }
    try {
      DeclarativeApplier.Result result = applier.apply(yaml, false);
      log.info("applied {}: {} change(s), config version {}", file, result.changes().size(), result.version());
    } catch (ApiException e) {
      throw new IllegalStateException("SPILLWAY_CONFIG_FILE " + file + " was not applied: " + e.getMessage(), e);
    }
  }
}
