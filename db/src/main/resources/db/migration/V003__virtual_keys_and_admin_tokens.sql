-- Virtual keys: the secret is never stored, only its SHA-256 and a short visible prefix.
CREATE TABLE virtual_keys (
    id            uuid PRIMARY KEY,
    org_id        uuid        NOT NULL REFERENCES organizations (id),
    team_id       uuid        NOT NULL REFERENCES teams (id),
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    key_hash      text        NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    key_prefix    text        NOT NULL,
    models        text[]      NOT NULL DEFAULT '{}',
    cache         jsonb,
    metadata      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status        text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    expires_at    timestamptz,
    rotated_from  uuid REFERENCES virtual_keys (id) ON DELETE SET NULL,
    revoked_at    timestamptz,
    created_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);
CREATE UNIQUE INDEX virtual_keys_team_name_uq ON virtual_keys (team_id, lower(name)) WHERE status = 'active';
CREATE INDEX virtual_keys_team_idx ON virtual_keys (team_id);
CREATE INDEX virtual_keys_status_idx ON virtual_keys (status);

-- Named admin API tokens for automation (the bootstrap token lives in the environment, not here).
CREATE TABLE admin_api_tokens (
    id            uuid PRIMARY KEY,
    org_id        uuid        NOT NULL REFERENCES organizations (id),
    name          text        NOT NULL,
    token_hash    text        NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    token_prefix  text        NOT NULL,
    role          text        NOT NULL DEFAULT 'org_admin' CHECK (role IN ('org_admin', 'viewer')),
    created_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE UNIQUE INDEX admin_api_tokens_name_uq ON admin_api_tokens (org_id, lower(name)) WHERE revoked_at IS NULL;
