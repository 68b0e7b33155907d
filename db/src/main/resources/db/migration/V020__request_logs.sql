-- Request logs (issue 13): one row per request, written in the same transaction as its usage event, so that every
-- usage event has exactly one log record. Nothing wrote the V006 table, so it is replaced rather than altered.
--   client_api      what the client spoke: 'chat', 'messages', 'embeddings', 'count_tokens', 'completions', 'responses'
--   requested_model the `model` the client sent (a route name or provider/model)
--   model           what served it (the upstream model), as in usage_events
--   attempts        [{"provider","model","status_code","error_code","latency_ms","started_ms"}], in order
--   content_policy  the policy that applied: 'none' (metadata only), 'redacted' or 'full'
--   request_body, response_body  gzip of the JSON the node stored after redaction (null under 'none'); capped in size,
--                   *_truncated says the cap cut it
-- Retention is per team (teams.logging / virtual_keys.logging, retention_days): a purge deletes a team's rows older
-- than that, by the (team_id, occurred_at) index.
DROP TABLE request_logs;
CREATE TABLE request_logs (
    request_id          text          NOT NULL,
    occurred_at         timestamptz   NOT NULL,
    node_id             text,
    org_id              uuid,
    team_id             uuid,
    key_id              uuid,
    client_api          text          NOT NULL,
    user_agent          text,
    route               text,
    requested_model     text,
    provider            text,
    model               text,
    status_code         integer       NOT NULL,
    error_code          text,
    error_message       text,
    latency_ms          bigint        NOT NULL DEFAULT 0,
    ttft_ms             bigint,
    input_tokens        bigint        NOT NULL DEFAULT 0,
    output_tokens       bigint        NOT NULL DEFAULT 0,
    cached_input_tokens bigint        NOT NULL DEFAULT 0,
    reasoning_tokens    bigint        NOT NULL DEFAULT 0,
    cost_usd            numeric(18,9) NOT NULL DEFAULT 0,
    cache_status        text,
    cache_similarity    real,
    streamed            boolean       NOT NULL DEFAULT false,
    client_closed       boolean       NOT NULL DEFAULT false,
    attempts            jsonb         NOT NULL DEFAULT '[]'::jsonb,
    replay_of           text,
    content_policy      text          NOT NULL DEFAULT 'none',
    request_body        bytea,
    response_body       bytea,
    request_truncated   boolean       NOT NULL DEFAULT false,
    response_truncated  boolean       NOT NULL DEFAULT false,
    PRIMARY KEY (occurred_at, request_id)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE request_logs_default PARTITION OF request_logs DEFAULT;
CREATE INDEX request_logs_request_id_idx ON request_logs (request_id);
CREATE INDEX request_logs_team_idx ON request_logs (team_id, occurred_at);
CREATE INDEX request_logs_key_idx ON request_logs (key_id, occurred_at);
SELECT spillway_ensure_partitions(2);

-- Logging policy per team and per key (a key's fields override its team's): {"content": "none"|"redacted"|"full",
-- "retention_days": 1..3650}; null means the defaults ('none', 30 days).
ALTER TABLE teams ADD COLUMN logging jsonb;
ALTER TABLE virtual_keys ADD COLUMN logging jsonb;
