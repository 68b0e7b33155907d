package dev.spillway.controlplane.limits;

/** The levels that budgets and rate limits attach to. */
public enum Scope {
  ORG("org"), TEAM("team"), KEY("key");

  private final String dbName;

  Scope(String dbName) {
    this.dbName = dbName;
  }

  public String dbName() {
    return dbName;
  }

  /** The scope stored as {@code dbName}. */
  public static Scope ofDbName(String dbName) {
    for (Scope s : values()) {
      if (s.dbName.equals(dbName)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown scope: " + dbName + " (expected: org, team, key)");
  }
}
