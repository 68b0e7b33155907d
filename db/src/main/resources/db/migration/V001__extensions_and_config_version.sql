-- pgvector for the semantic cache. The local script and the pgvector image preinstall it in template1;
-- on a managed database an administrator may have to run this once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'vector') THEN
        CREATE EXTENSION vector;
    END IF;
END $$;

-- The single-row config version counter. Every transaction that changes config bumps it
-- (UPDATE ... SET version = version + 1), which also serialises config writers: commit order = version order.
CREATE TABLE config_version (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    version     bigint      NOT NULL CHECK (version >= 0),
    changed_at  timestamptz NOT NULL DEFAULT now()
);
-- Version 1 is the empty config, so a node that knows nothing (known_version=0) always gets a snapshot.
INSERT INTO config_version (id, version) VALUES (true, 1);

-- Published snapshots: canonical JSON, gzipped, with its SHA-256. One row per version that was built.
CREATE TABLE config_snapshots (
    version         bigint PRIMARY KEY,
    kind            text        NOT NULL DEFAULT 'full' CHECK (kind IN ('full', 'delta')),
    sha256          text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    payload_gzip    bytea       NOT NULL,
    raw_size_bytes  integer     NOT NULL,
    build_ms        integer     NOT NULL,
    restored_from   bigint,
    created_at      timestamptz NOT NULL DEFAULT now()
);
