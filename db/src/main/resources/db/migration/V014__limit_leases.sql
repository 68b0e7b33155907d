-- Leases: the slices of budgets and rate limits that nodes hold and spend on their own (docs/governance.md).
--
-- limit_counters: one row per (scope, kind, window), what the window has consumed. Every grant for a window locks
-- this row (SELECT ... FOR UPDATE, after an INSERT ... ON CONFLICT DO NOTHING creates it), so grants from several
-- nodes and control-plane replicas serialise per window. consumed is USD for a budget (the spend recorded in
-- usage_hourly for the period when the row was created, plus every increase of a lease's reported used since),
-- requests for rpm and tokens for tpm (the sum of used over the window's leases); concurrency consumes nothing
-- and keeps its one row at window_start 1970-01-01 only as the lock.
CREATE TABLE limit_counters (
    scope_type    text          NOT NULL CHECK (scope_type IN ('org', 'team', 'key')),
    scope_id      uuid          NOT NULL,
    kind          text          NOT NULL CHECK (kind IN ('budget', 'rpm', 'tpm', 'concurrency')),
    window_start  timestamptz   NOT NULL,
    consumed      numeric(24,9) NOT NULL DEFAULT 0,
    updated_at    timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (scope_type, scope_id, kind, window_start)
);

-- One node's lease of one window: granted is the total it may consume in the window (concurrency: hold at once),
-- used what it reported (cumulative; requests in flight for concurrency), want what it last asked for (a lease
-- that got less than it wanted counts in the fair share of the others). A lease is live while it is neither
-- released nor expired; only live leases hold headroom.
CREATE TABLE limit_leases (
    node_id       text          NOT NULL,
    scope_type    text          NOT NULL CHECK (scope_type IN ('org', 'team', 'key')),
    scope_id      uuid          NOT NULL,
    kind          text          NOT NULL CHECK (kind IN ('budget', 'rpm', 'tpm', 'concurrency')),
    window_start  timestamptz   NOT NULL,
    granted       numeric(24,9) NOT NULL CHECK (granted >= 0),
    used          numeric(24,9) NOT NULL CHECK (used >= 0),
    want          numeric(24,9) NOT NULL CHECK (want >= 0),
    expires_at    timestamptz   NOT NULL,
    released_at   timestamptz,
    updated_at    timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (node_id, scope_type, scope_id, kind, window_start)
);
-- The other nodes' leases of a window, read on every grant.
CREATE INDEX limit_leases_window_idx ON limit_leases (scope_type, scope_id, kind, window_start, expires_at)
    WHERE released_at IS NULL;

-- A budget's counter starts from the key's recorded spend in its period; usage_hourly leads with the hour, which
-- made that (and the dashboard's spend per key) a scan of every key's rows of the period.
CREATE INDEX usage_hourly_key_idx ON usage_hourly (key_id, hour);

-- The V005 placeholders: budget_leases is replaced by limit_leases (it knew budgets only, and nothing used it).
-- budget_spend is left as it is, still unused: limit_counters holds what the lease protocol needs, and the
-- dashboard reads spend from usage_hourly; a later migration may drop it.
DROP TABLE budget_leases;
