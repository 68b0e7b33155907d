-- An admin's "forget these cached answers" (POST /api/v1/cache/invalidations). The control plane deletes the
-- matching cache_entries rows in the same transaction and carries the recent invalidations in every snapshot, so
-- nodes drop what their in-memory tier holds: an entry stored before "at" in the scope is never served again.
-- target_id has no foreign key: an invalidation of a team or key deleted since still has to reach the nodes.
CREATE TABLE cache_invalidations (
    id              bigserial   PRIMARY KEY,
    org_id          uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    scope           text        NOT NULL CHECK (scope IN ('all', 'team', 'key')),
    target_id       uuid,
    at              timestamptz NOT NULL,
    deleted_entries bigint      NOT NULL DEFAULT 0,
    CHECK ((scope = 'all') = (target_id IS NULL))
);
-- Snapshots read the invalidations of the last TTL (7 days).
CREATE INDEX cache_invalidations_at_idx ON cache_invalidations (org_id, at);

-- The cache page splits hits into exact and semantic, and computes the would-be hit rate of shadow mode (shadow
-- hits / shadow lookups), from the rollups like every other number there. (cache_hits counts both kinds of hit,
-- cache_lookups every lookup but bypasses.)
ALTER TABLE usage_hourly
    ADD COLUMN cache_semantic_hits  bigint NOT NULL DEFAULT 0,
    ADD COLUMN cache_shadow_lookups bigint NOT NULL DEFAULT 0;
