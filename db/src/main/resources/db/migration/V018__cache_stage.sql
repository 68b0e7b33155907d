-- The cache stage (issue 12). Nodes read and write cache_entries directly (a small pool, off the event loop); the
-- control plane deletes entries on an admin's invalidation and purges expired ones.

-- The virtual key whose request stored the entry: invalidation by key. The request's client-facing model (route
-- name or provider/model) stays in "model". response holds the answer as an OpenAI chat completion (the canonical
-- form), whatever API the client spoke, so that it can be replayed complete or as a stream in any client API.
ALTER TABLE cache_entries
    ADD COLUMN key_id       uuid,
    ADD COLUMN provider     text,
    ADD COLUMN served_model text;
CREATE INDEX cache_entries_key_idx ON cache_entries (key_id);

-- Shadow observations travel with usage (cache_status 'shadow-hit' / 'shadow-miss' and cache_similarity on
-- usage_events), through the nodes' spooled, exactly-once pipeline, so this table has no writer.
DROP TABLE cache_shadow_hits;

-- What a hit saved: the cost the same tokens would have had at the price of the model that first answered.
ALTER TABLE usage_events
    ADD COLUMN cache_saved_usd numeric(18,9) NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly
    ADD COLUMN cache_saved_usd           numeric(18,9) NOT NULL DEFAULT 0,
    ADD COLUMN cache_saved_input_tokens  bigint        NOT NULL DEFAULT 0,
    ADD COLUMN cache_saved_output_tokens bigint        NOT NULL DEFAULT 0,
    ADD COLUMN cache_lookups             bigint        NOT NULL DEFAULT 0,
    ADD COLUMN cache_shadow_hits         bigint        NOT NULL DEFAULT 0;
CREATE INDEX usage_events_team_cache_idx ON usage_events (team_id, occurred_at) WHERE cache_similarity IS NOT NULL;
