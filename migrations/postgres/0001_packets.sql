-- Packets, their immutable PDFs and uploads, the hash-chained audit trail,
-- signing links and producer sessions. Times in *_at BIGINT columns are Unix
-- seconds; TEXT times are RFC 3339 UTC.

CREATE TABLE packets (
    id          TEXT PRIMARY KEY,
    case_key    TEXT NOT NULL,
    case_json   TEXT NOT NULL,
    as_of       TEXT NOT NULL,
    state_json  TEXT NOT NULL,
    status      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    producer_id TEXT UNIQUE,
    -- The last audit record's position and hash: anchors the chain's end,
    -- so that removing the newest records is detected too.
    audit_seq   BIGINT NOT NULL DEFAULT 0,
    audit_head  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Content-addressed and immutable: a row is written once and never updated.
CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    bytes      BYTEA NOT NULL,
    created_at TEXT NOT NULL
);

-- Which blobs belong to which packet (and so may be served for it).
CREATE TABLE packet_blobs (
    packet_id TEXT NOT NULL REFERENCES packets (id),
    sha256    TEXT NOT NULL REFERENCES blobs (sha256),
    role      TEXT NOT NULL,
    PRIMARY KEY (packet_id, sha256)
);

CREATE TABLE audit_events (
    packet_id TEXT NOT NULL REFERENCES packets (id),
    seq       BIGINT NOT NULL,
    record    TEXT NOT NULL,
    PRIMARY KEY (packet_id, seq)
);

CREATE TABLE signing_links (
    token_hash TEXT PRIMARY KEY,
    packet_id  TEXT NOT NULL REFERENCES packets (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    spent_at   BIGINT
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    packet_id  TEXT NOT NULL REFERENCES packets (id),
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);

CREATE INDEX sessions_packet ON sessions (packet_id);
CREATE INDEX signing_links_packet ON signing_links (packet_id);
