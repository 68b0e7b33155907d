package dev.spillway.deploy;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Where the deployment files are, and how the tests read them (YAML into maps, JSON into trees). */
final class DeployFiles {
  static final JsonMapper JSON = JsonMapper.builder().build();

  private DeployFiles() {
  }

  /** {@code deploy/}: surefire runs in the module's directory, an IDE may run in the repository root. */
  static Path deployDir() {
    Path here = Path.of("").toAbsolutePath();
    for (Path candidate : List.of(here, here.resolve("deploy"))) {
      if (Files.isRegularFile(candidate.resolve("helm/spillway/Chart.yaml"))) {
        return candidate;
      }
    }
    throw new IllegalStateException("deploy/ not found from " + here);
  }

  static Path repoRoot() {
    return deployDir().getParent();
  }

  static Path composeFile() {
    return deployDir().resolve("compose/docker-compose.yml");
  }

  static Path chartDir() {
    return deployDir().resolve("helm/spillway");
  }

  static Path dashboardFile() {
    return chartDir().resolve("dashboards/spillway.json");
  }

  static String read(Path file) {
    try {
      return Files.readString(requireNonNull(file, "file"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One YAML document as plain maps and lists; merge keys ({@code <<: *anchor}) resolved, as compose does. */
  static Map<String, Object> yaml(String text) {
    return new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
  }

  /** Every non-empty document of a multi-document stream (what {@code helm template} prints). */
  static List<JsonNode> yamlDocuments(String text) {
    List<JsonNode> docs = new ArrayList<>();
    for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text)) {
      if (doc != null) {
        docs.add(JSON.valueToTree(doc));
      }
    }
    return docs;
  }

  static JsonNode yamlTree(Path file) {
    return JSON.valueToTree(yaml(read(file)));
  }

  static JsonNode json(String text) {
    return JSON.readTree(text);
  }
}
