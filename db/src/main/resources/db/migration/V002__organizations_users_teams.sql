CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- One organisation per installation for now; the id is fixed so seeds and tests can name it.
INSERT INTO organizations (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'default');

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    org_id         uuid        NOT NULL REFERENCES organizations (id),
    email          text        NOT NULL,
    display_name   text,
    oidc_issuer    text,
    oidc_subject   text,
    status         text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_login_at  timestamptz
);
CREATE UNIQUE INDEX users_email_uq ON users (org_id, lower(email));
CREATE UNIQUE INDEX users_oidc_uq ON users (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL;

-- Organisation-wide roles.
CREATE TABLE org_memberships (
    org_id      uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text        NOT NULL CHECK (role IN ('org_admin', 'viewer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);

CREATE TABLE teams (
    id           uuid PRIMARY KEY,
    org_id       uuid        NOT NULL REFERENCES organizations (id),
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description  text,
    cache        jsonb,
    metadata     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name_uq ON teams (org_id, lower(name));

-- Team-scoped roles; a user may belong to several teams.
CREATE TABLE team_memberships (
    team_id     uuid        NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text        NOT NULL CHECK (role IN ('team_admin', 'viewer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_memberships_user_idx ON team_memberships (user_id);
