-- A limit may run in shadow mode (enforce = false: nodes count and record what they would have refused, and refuse
-- nothing), and a budget says what a node does once its leases are spent and the control plane is out of reach.
-- Existing limits keep their meaning: enforced, failing closed.
ALTER TABLE budgets
    ADD COLUMN enforce        boolean NOT NULL DEFAULT true,
    ADD COLUMN on_unreachable text    NOT NULL DEFAULT 'fail_closed'
        CHECK (on_unreachable IN ('fail_closed', 'fail_open'));

ALTER TABLE rate_limits
    ADD COLUMN enforce boolean NOT NULL DEFAULT true;
