package dev.spillway.controlplane.common;

import java.util.UUID;

/** Path ids: a malformed id is simply not found, never a 500. */
public final class Ids {
  private Ids() {}

  public static UUID parse(String resource, String id) {
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound(resource, id);
    }
  }
}
