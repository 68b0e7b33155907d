package dev.spillway.dataplane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.CacheInvalidation;
import dev.spillway.config.CacheInvalidation.Scope;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.usage.Usage;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoredAnswerTest {
  static final Instant STORED = Instant.parse("2026-12-07T12:00:00Z");
  static final StoredAnswer ANSWER = new StoredAnswer("team-1", "key-1", Json.object(), Usage.NONE, "p", "m", STORED,
      STORED.plusSeconds(60), 100);

  @Test
  void anInvalidationAfterTheEntryCoversItByScope() {
    Instant later = STORED.plusSeconds(1);
    assertThat(ANSWER.invalidatedBy(List.of(new CacheInvalidation(Scope.ALL, null, later)))).isTrue();
    assertThat(ANSWER.invalidatedBy(List.of(new CacheInvalidation(Scope.TEAM, "team-1", later)))).isTrue();
    assertThat(ANSWER.invalidatedBy(List.of(new CacheInvalidation(Scope.KEY, "key-1", later)))).isTrue();
    assertThat(ANSWER.invalidatedBy(List.of(new CacheInvalidation(Scope.TEAM, "team-2", later),
        new CacheInvalidation(Scope.KEY, "key-2", later)))).isFalse();
  }

  @Test
  void anInvalidationBeforeTheEntryWasStoredDoesNotCoverIt() {
    assertThat(ANSWER.invalidatedBy(List.of(new CacheInvalidation(Scope.ALL, null, STORED.minusSeconds(1)))))
        .isFalse();
    assertThat(ANSWER.invalidatedBy(List.of())).isFalse();
  }

  @Test
  void anEntryExpiresAtItsTime() {
    assertThat(ANSWER.expired(STORED.plusSeconds(59))).isFalse();
    assertThat(ANSWER.expired(STORED.plusSeconds(60))).isTrue();
  }
}
