-- The data-plane fleet as the control plane sees it, updated on every poll and heartbeat.
CREATE TABLE data_plane_nodes (
    node_id          text PRIMARY KEY,
    address          text,
    software_version text,
    applied_version  bigint,
    applied_hash     text,
    last_error       text,
    started_at       timestamptz,
    first_seen       timestamptz NOT NULL DEFAULT now(),
    last_seen        timestamptz NOT NULL DEFAULT now()
);

-- Who changed what. before/after hold the changed fields with secrets masked.
CREATE TABLE audit_events (
    id             bigserial PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    org_id         uuid        NOT NULL,
    actor_type     text        NOT NULL CHECK (actor_type IN ('user', 'api_token', 'bootstrap_token', 'system')),
    actor_id       text,
    actor_name     text        NOT NULL,
    action         text        NOT NULL,
    resource_type  text        NOT NULL,
    resource_id    text,
    before         jsonb,
    after          jsonb,
    config_version bigint,
    request_id     text,
    client_ip      text
);
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at DESC);
CREATE INDEX audit_events_resource_idx ON audit_events (resource_type, resource_id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_type, actor_id);
