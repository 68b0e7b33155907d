package dev.spillway.controlplane.common;

import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;

/**
 * A JSON {@code true} or {@code false} and nothing else. Jackson on its own reads {@code 1} and {@code "true"} as
 * true; for a switch such as {@code enforce} a typo must be a 400 naming the field, not a guess.
 */
public final class StrictBooleanDeserializer extends ValueDeserializer<Boolean> {
  @Override
  public Boolean deserialize(JsonParser p, DeserializationContext ctxt) {
    return switch (p.currentToken()) {
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      default -> (Boolean) ctxt.handleUnexpectedToken(Boolean.class, p);
    };
  }
}
