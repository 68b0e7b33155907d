-- Requests a limit refused: nodes report them as events with status 429 and error_code rate_limit_exceeded or
-- budget_exceeded. Counted next to shadow_refusals (V013), what limits in shadow mode would have refused, so that
-- the two can be compared before a limit is enforced. A refusal is an error too (status >= 400).
ALTER TABLE usage_hourly ADD COLUMN refusals bigint NOT NULL DEFAULT 0;

-- A budget's spend crossing 50, 80 or 100 % of its limit in one period. The unique key makes each threshold fire
-- once per budget and period, whichever replica or check sees it first (INSERT ... ON CONFLICT DO NOTHING decides).
--   scope_name, team_id  the budget's owner when it fired: its name, and the team whose members may read the alert
--                        (the team itself or a key's team; null for the organisation)
--   limit_usd, enforce   the budget as it was then
--   delivery_state       'none' (no webhook configured), 'pending' (a POST is due at next_attempt_at),
--                        'delivered', 'failed' (gave up after the last attempt; last_error says why)
CREATE TABLE budget_alerts (
    id                 uuid          PRIMARY KEY,
    scope_type         text          NOT NULL CHECK (scope_type IN ('org', 'team', 'key')),
    scope_id           uuid          NOT NULL,
    scope_name         text          NOT NULL,
    team_id            uuid,
    period             text          NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'total')),
    period_start       timestamptz   NOT NULL,
    threshold_percent  integer       NOT NULL CHECK (threshold_percent IN (50, 80, 100)),
    limit_usd          numeric(18,6) NOT NULL,
    spent_usd          numeric(18,9) NOT NULL,
    enforce            boolean       NOT NULL,
    fired_at           timestamptz   NOT NULL,
    delivery_state     text          NOT NULL CHECK (delivery_state IN ('none', 'pending', 'delivered', 'failed')),
    delivery_attempts  integer       NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz,
    delivered_at       timestamptz,
    last_error         text,
    UNIQUE (scope_type, scope_id, period_start, threshold_percent)
);
CREATE INDEX budget_alerts_fired_idx ON budget_alerts (fired_at DESC);
CREATE INDEX budget_alerts_team_idx ON budget_alerts (team_id, fired_at DESC);
-- The webhook sender looks only at deliveries still due.
CREATE INDEX budget_alerts_due_idx ON budget_alerts (next_attempt_at) WHERE delivery_state = 'pending';
