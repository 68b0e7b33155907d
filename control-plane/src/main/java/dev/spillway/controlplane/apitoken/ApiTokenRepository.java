package dev.spillway.controlplane.apitoken;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

public interface ApiTokenRepository {
  Optional<ApiToken> findById(UUID id);

  /** A token that is neither revoked nor expired, by the SHA-256 of its secret. */
  Optional<ApiToken> findUsableByHash(String tokenHash, Instant now);

  Optional<ApiToken> findActiveByName(String name);

  List<ApiToken> findAll(boolean includeRevoked);

  void insert(ApiToken token, String tokenHash);

  void revoke(UUID id, Instant at, String by);

  /** Sets last_used_at unless it is already more recent than {@code notBefore} (another replica wrote it). */
  void touch(UUID id, Instant at, Instant notBefore);
}
