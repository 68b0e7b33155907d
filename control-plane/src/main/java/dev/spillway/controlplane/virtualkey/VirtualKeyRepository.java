package dev.spillway.controlplane.virtualkey;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

public interface VirtualKeyRepository {
  Optional<VirtualKey> findById(UUID id);

  Optional<VirtualKey> findActiveByName(UUID teamId, String name);

  List<VirtualKey> find(UUID teamId, VirtualKey.Status status, int limit, int offset);

  /** Active keys, for the snapshot. */
  List<VirtualKey> findAllActive();

  void save(VirtualKey key);

  void revoke(UUID id, Instant at);
}
