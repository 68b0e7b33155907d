package dev.spillway.dataplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Golden-file cases: {@code NAME.input.json} next to {@code NAME.expected.json} under a test-resources folder, and a
 * structural comparison (property order and number representation do not matter; the failure message shows both
 * sides with sorted keys, so the difference is easy to read).
 */
public final class GoldenFiles {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private GoldenFiles() {}

  /** One argument set per case in {@code folder}: the case name, its input and its expected output. */
  public static Stream<Arguments> cases(String folder) {
    URL url = GoldenFiles.class.getResource(folder);
    if (url == null) {
      throw new IllegalStateException("no golden folder " + folder);
    }
    List<Arguments> cases = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
      for (Path input : files.filter(p -> p.getFileName().toString().endsWith(".input.json")).sorted().toList()) {
        String name = input.getFileName().toString().replace(".input.json", "");
        Path expected = input.resolveSibling(name + ".expected.json");
        cases.add(Arguments.of(name, read(input), read(expected)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    if (cases.isEmpty()) {
      throw new IllegalStateException("no golden cases in " + folder);
    }
    return cases.stream();
  }

  private static ObjectNode read(Path file) throws IOException {
    return (ObjectNode) JSON.readTree(Files.readString(file));
  }

  /** The node with sorted keys and numbers re-read, for a structural comparison with readable output. */
  public static String normalized(JsonNode node) {
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(sorted(JSON.readTree(JSON.writeValueAsString(node))));
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, JsonNode> fields = new TreeMap<>();
      node.properties().forEach(e -> fields.put(e.getKey(), sorted(e.getValue())));
      ObjectNode out = JSON.createObjectNode();
      fields.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = JSON.createArrayNode();
      node.forEach(element -> out.add(sorted(element)));
      return out;
    }
    return node;
  }
}
