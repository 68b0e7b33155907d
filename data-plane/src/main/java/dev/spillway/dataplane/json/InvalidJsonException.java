package dev.spillway.dataplane.json;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.TokenStreamLocation;

/**
 * Text that is not the JSON it should be. The message is meant for whoever wrote the JSON ("not valid JSON: nesting
 * deeper than 128 levels at line 1, column 130"); the parser's own exception stays available as the cause, for logs.
 */
public final class InvalidJsonException extends IllegalArgumentException {
  InvalidJsonException(JacksonException cause, JsonParser parser) {
    super("not valid JSON: " + JsonErrors.describe(cause, parser), cause);
  }

  InvalidJsonException(String problem, TokenStreamLocation where) {
    super("not valid JSON: " + problem + JsonErrors.at(where));
  }
}
