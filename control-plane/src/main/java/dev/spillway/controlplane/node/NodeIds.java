package dev.spillway.controlplane.node;

import java.util.Optional;

/**
 * What may name a node. An id is one path segment of {@code /api/v1/nodes/{id}} and of the dashboard's forget
 * action, so it must survive being one: the servlet container and the request firewall refuse encoded slashes,
 * backslashes, percent signs, semicolons and control characters in paths, and {@code .} and {@code ..} are no
 * segments at all. An id with any of them could be listed but never read or deleted, so it is refused up front.
 * Everything else is fine, {@code :} included (the default id is {@code hostname:port}).
 */
public final class NodeIds {
  public static final int MAX_LENGTH = 200;
  private static final String REFUSED = "/\\%;";

  private NodeIds() {}

  /** Why {@code id} cannot name a node (a message for the {@code node_id} field), or empty when it can. */
  public static Optional<String> problem(String id) {
    if (id == null || id.isBlank()) {
      return Optional.of("is required");
    }
    if (id.length() > MAX_LENGTH) {
      return Optional.of("is longer than " + MAX_LENGTH + " characters");
    }
    if (id.equals(".") || id.equals("..")) {
      return Optional.of("must not be . or ..");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (REFUSED.indexOf(c) >= 0 || Character.isISOControl(c)) {
        return Optional.of("must not contain / \\ % ; or control characters (it is a path segment of "
            + "/api/v1/nodes/{id})");
      }
    }
    return Optional.empty();
  }
}
