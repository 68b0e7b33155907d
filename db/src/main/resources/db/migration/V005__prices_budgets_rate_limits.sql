-- Prices that ship with Spillway, by provider type and upstream model (USD per million tokens).
CREATE TABLE builtin_prices (
    provider_type              text          NOT NULL,
    model                      text          NOT NULL,
    input_per_mtok_usd         numeric(12,6) NOT NULL CHECK (input_per_mtok_usd >= 0),
    output_per_mtok_usd        numeric(12,6) NOT NULL CHECK (output_per_mtok_usd >= 0),
    cached_input_per_mtok_usd  numeric(12,6) CHECK (cached_input_per_mtok_usd >= 0),
    PRIMARY KEY (provider_type, model)
);

-- An admin's price for one upstream model of one provider; wins over the built-in price.
CREATE TABLE price_overrides (
    provider_id                uuid          NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    model                      text          NOT NULL,
    input_per_mtok_usd         numeric(12,6) NOT NULL CHECK (input_per_mtok_usd >= 0),
    output_per_mtok_usd        numeric(12,6) NOT NULL CHECK (output_per_mtok_usd >= 0),
    cached_input_per_mtok_usd  numeric(12,6) CHECK (cached_input_per_mtok_usd >= 0),
    updated_at                 timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, model)
);

-- Budgets and rate limits at organisation, team or key level (at most one of each per scope).
-- scope_id is not a foreign key because it points into one of three tables; the control plane
-- deletes a scope's limits together with the scope.
CREATE TABLE budgets (
    scope_type  text          NOT NULL CHECK (scope_type IN ('org', 'team', 'key')),
    scope_id    uuid          NOT NULL,
    limit_usd   numeric(18,6) NOT NULL CHECK (limit_usd >= 0),
    period      text          NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'total')),
    created_at  timestamptz   NOT NULL DEFAULT now(),
    updated_at  timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (scope_type, scope_id)
);

CREATE TABLE rate_limits (
    scope_type      text        NOT NULL CHECK (scope_type IN ('org', 'team', 'key')),
    scope_id        uuid        NOT NULL,
    rpm             integer     CHECK (rpm > 0),
    tpm             integer     CHECK (tpm > 0),
    max_concurrent  integer     CHECK (max_concurrent > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope_type, scope_id),
    CHECK (rpm IS NOT NULL OR tpm IS NOT NULL OR max_concurrent IS NOT NULL)
);

-- Authoritative spend per budget and period, and the slices (leases) granted to nodes from it.
CREATE TABLE budget_spend (
    scope_type    text          NOT NULL,
    scope_id      uuid          NOT NULL,
    period_start  timestamptz   NOT NULL,
    spent_usd     numeric(18,9) NOT NULL DEFAULT 0,
    updated_at    timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (scope_type, scope_id, period_start)
);

CREATE TABLE budget_leases (
    id            uuid PRIMARY KEY,
    node_id       text          NOT NULL,
    scope_type    text          NOT NULL,
    scope_id      uuid          NOT NULL,
    period_start  timestamptz   NOT NULL,
    granted_usd   numeric(18,9) NOT NULL CHECK (granted_usd >= 0),
    spent_usd     numeric(18,9) NOT NULL DEFAULT 0,
    granted_at    timestamptz   NOT NULL DEFAULT now(),
    expires_at    timestamptz   NOT NULL,
    settled_at    timestamptz
);
CREATE INDEX budget_leases_scope_idx ON budget_leases (scope_type, scope_id, period_start) WHERE settled_at IS NULL;
CREATE INDEX budget_leases_node_idx ON budget_leases (node_id) WHERE settled_at IS NULL;
