package dev.spillway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The provider API families a node has an adapter for. */
public enum ProviderType {
  OPENAI("openai"),
  AZURE_OPENAI("azure-openai"),
  ANTHROPIC("anthropic"),
  BEDROCK("bedrock"),
  GEMINI("gemini"),
  OPENAI_COMPATIBLE("openai-compatible"),
  MOCK("mock");

  private final String wireName;

  ProviderType(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  public static Optional<ProviderType> find(String wireName) {
    return Arrays.stream(values()).filter(t -> t.wireName.equals(wireName)).findFirst();
  }

  @JsonCreator
  static ProviderType fromWire(String wireName) {
    return find(wireName).orElseThrow(() -> new IllegalArgumentException(
        "unknown provider type: " + wireName + " (expected one of: " + allWireNames() + ")"));
  }

  public static String allWireNames() {
    return Arrays.stream(values()).map(ProviderType::wireName).collect(Collectors.joining(", "));
  }
}
