package dev.spillway.controlplane.lease;

/**
 * The lease store cannot be used now: PostgreSQL is down or unreachable, or a counter stayed locked too long. The
 * call may simply be repeated; nodes go on spending what they hold meanwhile.
 */
public final class LeasesUnavailableException extends RuntimeException {
  LeasesUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
