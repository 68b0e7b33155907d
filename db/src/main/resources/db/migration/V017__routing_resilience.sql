-- Routing resilience (issue 11): how a route orders its targets, session stickiness, the retry ceilings and the
-- deadline across all attempts. 0 in a retry column means the node's default (backoff ceiling 8 s, Retry-After
-- cap 10 s) or, for the deadline, none; existing routes keep behaving as before.
ALTER TABLE routes
    ADD COLUMN strategy                 text    NOT NULL DEFAULT 'weighted'
        CHECK (strategy IN ('weighted', 'least_latency', 'least_busy', 'headroom')),
    ADD COLUMN sticky                   boolean NOT NULL DEFAULT true,
    ADD COLUMN retry_max_backoff_ms     integer NOT NULL DEFAULT 0 CHECK (retry_max_backoff_ms BETWEEN 0 AND 300000),
    ADD COLUMN retry_max_retry_after_ms integer NOT NULL DEFAULT 0
        CHECK (retry_max_retry_after_ms BETWEEN 0 AND 600000),
    ADD COLUMN retry_deadline_ms        integer NOT NULL DEFAULT 0 CHECK (retry_deadline_ms BETWEEN 0 AND 3600000);

-- Circuit breaking and key cooldowns per provider: {consecutive_failures, failure_rate_percent, minimum_calls,
-- window_seconds, open_ms, rate_limit_cooldown_ms, bad_key_probe_ms}; null means the defaults.
ALTER TABLE providers ADD COLUMN breaker jsonb CHECK (breaker IS NULL OR jsonb_typeof(breaker) = 'object');

-- Conditional routing: a request that matches every condition of a rule goes to its route instead of the one its
-- model names; rules are tried by ascending priority (then id), the first match wins. A rule needs at least one
-- condition. key_metadata and headers are flat objects of strings (header names lower-case); model_pattern may use
-- '*'. A route a rule sends to cannot be deleted (RESTRICT, the API names the rules); a rule for a team goes with it.
CREATE TABLE routing_rules (
    id             uuid PRIMARY KEY,
    org_id         uuid        NOT NULL REFERENCES organizations (id),
    name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    priority       integer     NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000000 AND 1000000),
    team_id        uuid        REFERENCES teams (id) ON DELETE CASCADE,
    key_metadata   jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(key_metadata) = 'object'),
    headers        jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(headers) = 'object'),
    model_pattern  text        CHECK (length(model_pattern) BETWEEN 1 AND 200),
    route_id       uuid        NOT NULL REFERENCES routes (id) ON DELETE RESTRICT,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT routing_rules_condition CHECK (team_id IS NOT NULL OR key_metadata <> '{}'::jsonb
        OR headers <> '{}'::jsonb OR model_pattern IS NOT NULL)
);
CREATE UNIQUE INDEX routing_rules_name_uq ON routing_rules (org_id, name);
CREATE INDEX routing_rules_route_idx ON routing_rules (route_id);
CREATE INDEX routing_rules_team_idx ON routing_rules (team_id);

-- What each node last reported about its targets in a heartbeat: an array of
-- {provider, key, model, breaker, ewma_ttfb_ms, error_rate, in_flight, requests, cooldown_until, bad_key,
--  remaining_requests, remaining_tokens}, replaced by every heartbeat that carries one.
ALTER TABLE data_plane_nodes
    ADD COLUMN target_health    jsonb CHECK (target_health IS NULL OR jsonb_typeof(target_health) = 'array'),
    ADD COLUMN target_health_at timestamptz;
