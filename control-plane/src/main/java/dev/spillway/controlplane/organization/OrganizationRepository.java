package dev.spillway.controlplane.organization;

import java.time.Instant;
import java.util.UUID;

/** The organisation's own row; its budget and rate limit are stored by {@code LimitsRepository}. */
public interface OrganizationRepository {
  /** The organisation as stored. */
  record StoredOrganization(UUID id, String name, Instant updatedAt) {}

  StoredOrganization get(UUID id);

  void rename(UUID id, String name);
}
