package dev.spillway.controlplane.common;

import java.util.UUID;

/** The single organisation of an installation (multi-organisation support would key everything by it). */
public final class Organization {
  public static final UUID DEFAULT_ID = UUID.fromString("00000000-0000-0000-0000-000000000001");

  private Organization() {}
}
