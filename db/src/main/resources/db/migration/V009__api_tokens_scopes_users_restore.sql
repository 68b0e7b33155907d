-- Admin API tokens may be scoped to one team (a team admin or team viewer for automation), so team-level
-- authorisation works without the dashboard. Org-wide tokens keep team_id NULL.
ALTER TABLE admin_api_tokens ADD COLUMN team_id uuid REFERENCES teams (id) ON DELETE CASCADE;
ALTER TABLE admin_api_tokens DROP CONSTRAINT admin_api_tokens_role_check;
ALTER TABLE admin_api_tokens ADD CONSTRAINT admin_api_tokens_role_check
    CHECK (role IN ('org_admin', 'viewer', 'team_admin'));
-- org_admin is org-wide by definition; team_admin needs its team; viewer is org-wide or team-scoped.
ALTER TABLE admin_api_tokens ADD CONSTRAINT admin_api_tokens_scope_check
    CHECK ((role = 'org_admin' AND team_id IS NULL) OR (role = 'team_admin' AND team_id IS NOT NULL)
           OR role = 'viewer');
ALTER TABLE admin_api_tokens ADD COLUMN revoked_by text;

ALTER TABLE users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- A restore writes restored_from together with its version bump; every other bump clears it. The snapshot build
-- reads it in the same transaction as the config, so config_snapshots.restored_from says which version a
-- snapshot brought back.
ALTER TABLE config_version ADD COLUMN restored_from bigint;

-- Snapshot history is listed newest first.
CREATE INDEX config_snapshots_created_idx ON config_snapshots (created_at DESC);

-- Audit queries filter by action and page by id (newest first).
CREATE INDEX audit_events_action_idx ON audit_events (action, id DESC);
CREATE INDEX audit_events_actor_name_idx ON audit_events (actor_name, id DESC);

-- Heartbeats carry uptime; keep the last heartbeat apart from the last poll.
ALTER TABLE data_plane_nodes ADD COLUMN uptime_seconds bigint;
ALTER TABLE data_plane_nodes ADD COLUMN last_heartbeat timestamptz;

-- The snapshot build streams active keys; this index lets it read them without touching revoked rows.
CREATE INDEX virtual_keys_active_idx ON virtual_keys (org_id) WHERE status = 'active';
