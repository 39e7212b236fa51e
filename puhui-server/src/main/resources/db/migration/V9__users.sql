-- Identity (Interim Measures, Art. 9, 10): API keys belong to users; an operator records whether a user's real
-- name was verified and whether the user is a minor, and when the user accepted the labelling terms (only such a
-- user may be served without the visible label, where the tenant allows it).
CREATE TABLE users (
    id              VARCHAR(40)    PRIMARY KEY,
    tenant          VARCHAR(200)   NOT NULL,
    name            VARCHAR(200)   NOT NULL,
    verified        BOOLEAN        DEFAULT FALSE NOT NULL,
    minor           BOOLEAN        DEFAULT FALSE NOT NULL,
    label_terms_at  BIGINT,
    created_at      BIGINT         NOT NULL
);
ALTER TABLE api_keys ADD COLUMN user_id VARCHAR(40);
-- A tenant's compliance settings: whether its users must be verified, whether the visible label may be left out
-- (for users who accepted the terms), whether audit records keep text or only hashes, and minors' daily limit.
CREATE TABLE tenant_compliance (
    name                  VARCHAR(200)  PRIMARY KEY,
    require_verified      BOOLEAN       DEFAULT FALSE NOT NULL,
    explicit_label        BOOLEAN       DEFAULT TRUE NOT NULL,
    audit_text            VARCHAR(10),
    minor_daily_requests  INT,
    updated_at            BIGINT        NOT NULL
);
