-- Join tokens: what an agent shows to join the pool. Scoped to a tier, shown once, stored as a SHA-256 hash,
-- revocable. The id is part of the token, so a revoked token is told apart from one that never existed.
CREATE TABLE join_tokens (
    id         VARCHAR(40)  PRIMARY KEY,
    tier       VARCHAR(10)  NOT NULL,
    label      VARCHAR(200),
    token_hash VARCHAR(64)  NOT NULL,
    created_at BIGINT       NOT NULL,
    revoked_at BIGINT
);
