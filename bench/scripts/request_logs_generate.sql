-- Test data for the request log: :rows rows (default 1,000,000) over the last 30 days, 20 teams, 200 keys, mixed
-- statuses, routes, providers and cache results, about one in ten with a stored (incompressible-looking, 192-byte) body. Run against
-- a migrated database (the rows are not cleaned up):
--   psql -h 127.0.0.1 -p $PORT -U spillway -d $DB -v rows=1000000 -f bench/scripts/request_logs_generate.sql
-- Request ids are 'gen-<n>', so a lookup of a known id can be timed afterwards (docs/benchmarks.md, "Request logs").
\if :{?rows}
\else
\set rows 1000000
\endif
INSERT INTO request_logs (request_id, occurred_at, node_id, team_id, key_id, client_api, user_agent, route,
                          requested_model, provider, model, status_code, error_code, latency_ms, ttft_ms,
                          input_tokens, output_tokens, cost_usd, cache_status, attempts, content_policy,
                          request_body, response_body)
SELECT 'gen-' || n,
       now() - (random() * interval '30 days'),
       'node-' || (n % 4),
       ('00000000-0000-4000-8000-' || lpad(to_hex(n % 20), 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad(to_hex(n % 200), 12, '0'))::uuid,
       (ARRAY['chat', 'chat', 'chat', 'messages', 'embeddings'])[1 + n % 5],
       'OpenAI/Python 1.54.0',
       (ARRAY['demo', 'fast', 'smart', 'cheap'])[1 + n % 4],
       (ARRAY['demo', 'fast', 'smart', 'cheap'])[1 + n % 4],
       (ARRAY['openai', 'anthropic', 'mock'])[1 + n % 3],
       (ARRAY['gpt-4o-mini', 'claude-3-5-haiku', 'mock-1'])[1 + n % 3],
       (ARRAY[200, 200, 200, 200, 200, 200, 200, 429, 502, 400])[1 + n % 10],
       (ARRAY[NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'rate_limit_exceeded', 'upstream_error',
              'invalid_request'])[1 + n % 10],
       (20 + random() * 2000)::bigint,
       (10 + random() * 300)::bigint,
       (random() * 2000)::bigint,
       (random() * 500)::bigint,
       (random() * 0.01)::numeric(18, 9),
       (ARRAY['miss', 'miss', 'miss', 'hit-exact', 'hit-semantic', 'bypass'])[1 + n % 6],
       '[{"provider":"openai","model":"gpt-4o-mini","status_code":200,"latency_ms":100,"started_ms":2}]'::jsonb,
       CASE WHEN n % 10 = 0 THEN 'redacted' ELSE 'none' END,
       CASE WHEN n % 10 = 0 THEN decode(repeat(md5(n::text), 12), 'hex') END,
       CASE WHEN n % 10 = 0 THEN decode(repeat(md5(n::text), 12), 'hex') END
FROM generate_series(1, :rows) AS n;
ANALYZE request_logs;
