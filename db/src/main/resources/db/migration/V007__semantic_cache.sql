-- Cached answers. Exact hits match request_hash; semantic hits match the embedding of the last user message,
-- restricted to the same team and the same context_hash (system prompt, earlier turns, model/route and
-- answer-changing parameters), because the small embedding models see only the last message.
CREATE TABLE cache_entries (
    id              bigserial PRIMARY KEY,
    team_id         uuid        NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    request_hash    text        NOT NULL,
    context_hash    text        NOT NULL,
    model           text        NOT NULL,
    embedding_model text,
    embedding       vector(384),
    prompt_text     text,
    response        bytea       NOT NULL,
    response_kind   text        NOT NULL CHECK (response_kind IN ('openai-chat', 'anthropic-messages', 'openai-completions', 'openai-responses')),
    input_tokens    integer     NOT NULL DEFAULT 0,
    output_tokens   integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    hit_count       bigint      NOT NULL DEFAULT 0,
    last_hit_at     timestamptz
);
CREATE UNIQUE INDEX cache_entries_exact_uq ON cache_entries (team_id, request_hash);
CREATE INDEX cache_entries_context_idx ON cache_entries (team_id, context_hash);
CREATE INDEX cache_entries_expiry_idx ON cache_entries (expires_at);
CREATE INDEX cache_entries_embedding_hnsw ON cache_entries USING hnsw (embedding vector_cosine_ops)
    WITH (m = 16, ef_construction = 64);

-- Shadow-mode observations: would-be semantic hits that were not served, to pick a threshold from traffic.
CREATE TABLE cache_shadow_hits (
    id            bigserial PRIMARY KEY,
    team_id       uuid        NOT NULL,
    key_id        uuid,
    entry_id      bigint,
    similarity    real        NOT NULL,
    verified      boolean     NOT NULL,
    request_id    text,
    observed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cache_shadow_hits_team_idx ON cache_shadow_hits (team_id, observed_at);
