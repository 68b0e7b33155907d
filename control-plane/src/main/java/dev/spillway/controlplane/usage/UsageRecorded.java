package dev.spillway.controlplane.usage;

import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Published once a usage batch that stored new events has committed: the teams and keys of its events, whose
 * recorded spend may have grown. Listeners run on the ingesting request's thread and must only take note.
 *
 * @param teamIds the teams of the batch's events (events without a team are not rolled up and not named)
 * @param keyIds  the keys of the batch's events
 */
public record UsageRecorded(Set<UUID> teamIds, Set<UUID> keyIds) {
  public UsageRecorded {
    teamIds = Set.copyOf(Objects.requireNonNull(teamIds, "teamIds"));
    keyIds = Set.copyOf(Objects.requireNonNull(keyIds, "keyIds"));
  }
}
