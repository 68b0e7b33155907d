package dev.spillway.dataplane.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/** Reads values out of Prometheus text exposition, for tests. */
public final class MetricsText {
  private MetricsText() {}

  /**
   * The value of the sample {@code name} whose labels include all {@code labelPairs} (name, value, name, value…);
   * 0 when there is no such sample (Prometheus' reading of an absent counter).
   */
  public static double value(String text, String name, String... labelPairs) {
    Map<String, String> wanted = new LinkedHashMap<>();
    for (int i = 0; i < labelPairs.length; i += 2) {
      wanted.put(labelPairs[i], labelPairs[i + 1]);
    }
    double found = 0;
    int matches = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
        continue;
      }
      Map<String, String> labels = labels(line, name.length());
      if (labels.entrySet().containsAll(wanted.entrySet())) {
        found = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        matches++;
      }
    }
    if (matches > 1) {
      throw new IllegalArgumentException(matches + " samples of " + name + " match " + wanted);
    }
    return found;
  }

  private static Map<String, String> labels(String line, int from) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (line.charAt(from) != '{') {
      return labels;
    }
    int i = from + 1;
    while (line.charAt(i) != '}') {
      int eq = line.indexOf('=', i);
      String key = line.substring(i, eq);
      int start = eq + 2;
      StringBuilder value = new StringBuilder();
      int j = start;
      while (line.charAt(j) != '"') {
        if (line.charAt(j) == '\\') {
          j++;
        }
        value.append(line.charAt(j));
        j++;
      }
      labels.put(key, value.toString());
      i = j + 1;
      if (line.charAt(i) == ',') {
        i++;
      }
    }
    return labels;
  }
}
