package dev.spillway.config;

import java.util.List;

/** A snapshot that cannot be used: bad encoding, wrong hash, or dangling references. */
public final class InvalidSnapshotException extends RuntimeException {
  private final List<String> problems;

  public InvalidSnapshotException(String message) {
    this(List.of(message), null);
  }

  public InvalidSnapshotException(String message, Throwable cause) {
    this(List.of(message), cause);
  }

  public InvalidSnapshotException(List<String> problems) {
    this(problems, null);
  }

  private InvalidSnapshotException(List<String> problems, Throwable cause) {
    super(String.join("; ", problems), cause);
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
