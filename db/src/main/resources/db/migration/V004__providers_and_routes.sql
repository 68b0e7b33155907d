CREATE TABLE providers (
    id          uuid PRIMARY KEY,
    org_id      uuid        NOT NULL REFERENCES organizations (id),
    name        text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    type        text        NOT NULL CHECK (type IN ('openai', 'azure-openai', 'anthropic', 'bedrock', 'gemini',
                                                     'openai-compatible', 'mock')),
    base_url    text,
    settings    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    timeouts    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX providers_name_uq ON providers (org_id, name);

-- Provider credentials, sealed with AES-256-GCM under SPILLWAY_SECRET_KEY (nonce and tag inside the value).
CREATE TABLE provider_keys (
    id              uuid PRIMARY KEY,
    provider_id     uuid        NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    weight          integer     NOT NULL DEFAULT 1 CHECK (weight >= 0),
    value_sealed    text        NOT NULL,
    value_last4     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider_id, name)
);

CREATE TABLE routes (
    id                        uuid PRIMARY KEY,
    org_id                    uuid        NOT NULL REFERENCES organizations (id),
    model                     text        NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
    retry_max_attempts        integer     NOT NULL DEFAULT 1 CHECK (retry_max_attempts BETWEEN 1 AND 10),
    retry_initial_backoff_ms  integer     NOT NULL DEFAULT 0 CHECK (retry_initial_backoff_ms BETWEEN 0 AND 60000),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX routes_model_uq ON routes (org_id, model);

-- Targets (picked by weight) and fallbacks (tried in position order). ON DELETE RESTRICT: a provider that
-- a route still uses cannot be deleted.
CREATE TABLE route_targets (
    route_id     uuid    NOT NULL REFERENCES routes (id) ON DELETE CASCADE,
    kind         text    NOT NULL CHECK (kind IN ('target', 'fallback')),
    position     integer NOT NULL CHECK (position >= 0),
    provider_id  uuid    NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    model        text    NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
    weight       integer NOT NULL DEFAULT 1 CHECK (weight >= 0),
    PRIMARY KEY (route_id, kind, position)
);
CREATE INDEX route_targets_provider_idx ON route_targets (provider_id);
