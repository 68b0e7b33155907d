-- One event per request, appended in batches by the nodes. Partitioned by month; the primary key includes
-- the partition key, and nodes fix occurred_at at request start so a replayed batch hits the same row.
CREATE TABLE usage_events (
    request_id           text          NOT NULL,
    occurred_at          timestamptz   NOT NULL,
    org_id               uuid          NOT NULL,
    team_id              uuid,
    key_id               uuid,
    route                text,
    provider             text,
    model                text,
    endpoint             text          NOT NULL,
    status_code          integer       NOT NULL,
    error_code           text,
    input_tokens         integer       NOT NULL DEFAULT 0,
    output_tokens        integer       NOT NULL DEFAULT 0,
    cached_input_tokens  integer       NOT NULL DEFAULT 0,
    cost_usd             numeric(18,9) NOT NULL DEFAULT 0,
    cache_status         text,
    cache_similarity     real,
    attempts             integer       NOT NULL DEFAULT 1,
    latency_ms           integer,
    ttft_ms              integer,
    streamed             boolean       NOT NULL DEFAULT false,
    node_id              text,
    PRIMARY KEY (occurred_at, request_id)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;
CREATE INDEX usage_events_key_idx ON usage_events (key_id, occurred_at);
CREATE INDEX usage_events_team_idx ON usage_events (team_id, occurred_at);

-- Request logs (metadata, optionally bodies), same partitioning, shorter retention.
CREATE TABLE request_logs (
    request_id     text        NOT NULL,
    occurred_at    timestamptz NOT NULL,
    key_id         uuid,
    team_id        uuid,
    method         text        NOT NULL,
    path           text        NOT NULL,
    status_code    integer     NOT NULL,
    error_code     text,
    error_message  text,
    provider       text,
    model          text,
    request_body   jsonb,
    response_body  jsonb,
    node_id        text,
    PRIMARY KEY (occurred_at, request_id)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE request_logs_default PARTITION OF request_logs DEFAULT;
CREATE INDEX request_logs_key_idx ON request_logs (key_id, occurred_at);

-- Creates the monthly partitions of usage_events and request_logs from the current month to months_ahead.
CREATE FUNCTION spillway_ensure_partitions(months_ahead integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    parent text;
    month_start date;
    partition_name text;
BEGIN
    FOREACH parent IN ARRAY ARRAY['usage_events', 'request_logs'] LOOP
        FOR i IN 0..months_ahead LOOP
            month_start := (date_trunc('month', now()) + make_interval(months => i))::date;
            partition_name := format('%s_%s', parent, to_char(month_start, 'YYYYMM'));
            IF to_regclass(partition_name) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                               partition_name, parent, month_start, (month_start + interval '1 month')::date);
            END IF;
        END LOOP;
    END LOOP;
END;
$$;
SELECT spillway_ensure_partitions(2);

-- Hourly rollups for dashboards and budgets.
CREATE TABLE usage_hourly (
    hour                 timestamptz   NOT NULL,
    org_id               uuid          NOT NULL,
    team_id              uuid          NOT NULL,
    key_id               uuid          NOT NULL,
    provider             text          NOT NULL,
    model                text          NOT NULL,
    requests             bigint        NOT NULL DEFAULT 0,
    errors               bigint        NOT NULL DEFAULT 0,
    input_tokens         bigint        NOT NULL DEFAULT 0,
    output_tokens        bigint        NOT NULL DEFAULT 0,
    cached_input_tokens  bigint        NOT NULL DEFAULT 0,
    cost_usd             numeric(18,9) NOT NULL DEFAULT 0,
    cache_hits           bigint        NOT NULL DEFAULT 0,
    latency_ms_sum       bigint        NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, key_id, provider, model)
);
CREATE INDEX usage_hourly_team_idx ON usage_hourly (team_id, hour);
