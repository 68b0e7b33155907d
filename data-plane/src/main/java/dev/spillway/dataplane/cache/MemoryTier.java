package dev.spillway.dataplane.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Duration;
import java.time.Instant;

/**
 * The node's own exact tier in front of PostgreSQL: bounded by bytes (Caffeine's size-based eviction, which keeps
 * what is hit often), each entry expiring at its own time. Looked up on the event loop: a hash lookup, no I/O.
 */
final class MemoryTier {
  private final Cache<String, StoredAnswer> entries;

  MemoryTier(long maxBytes) {
    this.entries = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((String key, StoredAnswer answer) -> answer.weight())
        .expireAfter(new Expiry<String, StoredAnswer>() {
          @Override
          public long expireAfterCreate(String key, StoredAnswer answer, long currentTime) {
            return remaining(answer);
          }

          @Override
          public long expireAfterUpdate(String key, StoredAnswer answer, long currentTime, long currentDuration) {
            return remaining(answer);
          }

          @Override
          public long expireAfterRead(String key, StoredAnswer answer, long currentTime, long currentDuration) {
            return currentDuration;
          }
        })
        // Eviction and expiry bookkeeping run on the caller: no thread pool hop for a map operation.
        .executor(Runnable::run)
        .build();
  }

  private static long remaining(StoredAnswer answer) {
    return Math.max(0, Duration.between(Instant.now(), answer.expiresAt()).toNanos());
  }

  StoredAnswer get(String teamId, String requestHash) {
    return entries.getIfPresent(key(teamId, requestHash));
  }

  void put(String teamId, String requestHash, StoredAnswer answer) {
    entries.put(key(teamId, requestHash), answer);
  }

  void remove(String teamId, String requestHash) {
    entries.invalidate(key(teamId, requestHash));
  }

  long size() {
    return entries.estimatedSize();
  }

  private static String key(String teamId, String requestHash) {
    return teamId + ':' + requestHash;
  }
}
