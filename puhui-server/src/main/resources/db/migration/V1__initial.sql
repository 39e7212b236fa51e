-- Models in the store, API keys (hashed) and usage records. Portable SQL: runs unchanged on H2 and PostgreSQL.
-- Times are epoch milliseconds.
CREATE TABLE models (
    name        VARCHAR(200)  PRIMARY KEY,
    path        VARCHAR(4000) NOT NULL,
    size_bytes  BIGINT        NOT NULL,
    sha256      VARCHAR(64),
    source      VARCHAR(2000) NOT NULL,
    created_at  BIGINT        NOT NULL
);

CREATE TABLE api_keys (
    id           VARCHAR(40)  PRIMARY KEY,
    name         VARCHAR(200) NOT NULL,
    tenant       VARCHAR(200) NOT NULL,
    key_hash     VARCHAR(64)  NOT NULL UNIQUE,
    prefix       VARCHAR(20)  NOT NULL,
    created_at   BIGINT       NOT NULL,
    last_used_at BIGINT,
    revoked      BOOLEAN      NOT NULL DEFAULT FALSE
);

CREATE TABLE usage_records (
    request_id        VARCHAR(64)  PRIMARY KEY,
    key_id            VARCHAR(40),
    tenant            VARCHAR(200) NOT NULL,
    model             VARCHAR(200) NOT NULL,
    endpoint          VARCHAR(40)  NOT NULL,
    prompt_tokens     INTEGER      NOT NULL,
    completion_tokens INTEGER      NOT NULL,
    latency_ms        BIGINT       NOT NULL,
    status            INTEGER      NOT NULL,
    created_at        BIGINT       NOT NULL
);

CREATE INDEX usage_records_tenant_time ON usage_records (tenant, created_at);
