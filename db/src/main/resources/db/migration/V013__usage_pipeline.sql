-- Usage pipeline: what nodes now report per request, and its rollups.
--   reasoning_tokens  tokens the provider counted as reasoning (already part of output_tokens where it says so)
--   unpriced          the served model had no price: cost_usd is 0 because nothing is known, not because it was free
--   usage_source      'provider' (reported), 'estimated' (counted by the node), 'none' (no provider answer)
--   client_closed     the client went away before the answer was complete
--   shadow_refusal    a limit in shadow mode would have refused this request, e.g. 'rate_limit: key rpm 60'
ALTER TABLE usage_events
    ADD COLUMN reasoning_tokens integer NOT NULL DEFAULT 0,
    ADD COLUMN unpriced         boolean NOT NULL DEFAULT false,
    ADD COLUMN usage_source     text,
    ADD COLUMN client_closed    boolean NOT NULL DEFAULT false,
    ADD COLUMN shadow_refusal   text;

ALTER TABLE usage_hourly
    ADD COLUMN unpriced_requests bigint NOT NULL DEFAULT 0,
    ADD COLUMN shadow_refusals   bigint NOT NULL DEFAULT 0,
    ADD COLUMN reasoning_tokens  bigint NOT NULL DEFAULT 0;

-- The unpriced-models list reads only the few rollups that have unpriced requests.
CREATE INDEX usage_hourly_unpriced_idx ON usage_hourly (hour) WHERE unpriced_requests > 0;

-- As in V006 (the same names and bounds), plus: rows of a month that has no partition yet wait in the default
-- partition (a node whose clock ran ahead, a replay of old events). PostgreSQL refuses to create a partition while
-- the default partition holds rows that belong in it, so the new partition is filled from the default partition
-- before it is attached.
CREATE OR REPLACE FUNCTION spillway_ensure_partitions(months_ahead integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    parent text;
    month_start date;
    month_end date;
    partition_name text;
BEGIN
    FOREACH parent IN ARRAY ARRAY['usage_events', 'request_logs'] LOOP
        FOR i IN 0..months_ahead LOOP
            month_start := (date_trunc('month', now()) + make_interval(months => i))::date;
            month_end := (month_start + interval '1 month')::date;
            partition_name := format('%s_%s', parent, to_char(month_start, 'YYYYMM'));
            IF to_regclass(partition_name) IS NULL THEN
                EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', partition_name, parent);
                EXECUTE format('WITH moved AS (DELETE FROM %I WHERE occurred_at >= %L AND occurred_at < %L '
                               'RETURNING *) INSERT INTO %I SELECT * FROM moved',
                               parent || '_default', month_start, month_end, partition_name);
                EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                               parent, partition_name, month_start, month_end);
            END IF;
        END LOOP;
    END LOOP;
END;
$$;
