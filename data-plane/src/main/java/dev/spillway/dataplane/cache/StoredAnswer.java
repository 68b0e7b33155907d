package dev.spillway.dataplane.cache;

import dev.spillway.config.CacheInvalidation;
import dev.spillway.dataplane.usage.Usage;
import java.time.Instant;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/**
 * One cached answer, as either tier holds it.
 *
 * @param teamId     the team whose request stored it (and the only one that may be served it)
 * @param keyId      the virtual key whose request stored it
 * @param completion the answer as a canonical chat completion; read only, shared by every hit
 * @param usage      the tokens the answer cost when a provider gave it
 * @param provider   the provider that gave it
 * @param model      the upstream model that gave it
 * @param storedAt   when it was stored
 * @param expiresAt  when it stops being served
 * @param weight     its approximate size in bytes, for the in-memory tier's bound
 */
record StoredAnswer(String teamId, String keyId, ObjectNode completion, Usage usage, String provider, String model,
    Instant storedAt, Instant expiresAt, int weight) {

  boolean expired(Instant now) {
    return !now.isBefore(expiresAt);
  }

  /** Whether an admin invalidated it after it was stored. */
  boolean invalidatedBy(List<CacheInvalidation> invalidations) {
    for (int i = invalidations.size() - 1; i >= 0; i--) {
      CacheInvalidation invalidation = invalidations.get(i);
      if (!invalidation.at().isAfter(storedAt)) {
        return false; // sorted by time: every earlier one is older than the entry too
      }
      boolean covers = switch (invalidation.scope()) {
        case ALL -> true;
        case TEAM -> invalidation.id().equals(teamId);
        case KEY -> invalidation.id().equals(keyId);
      };
      if (covers) {
        return true;
      }
    }
    return false;
  }
}
