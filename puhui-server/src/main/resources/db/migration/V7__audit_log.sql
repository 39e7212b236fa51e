-- The audit log: one record per request, append-only, each carrying the hash of the one before it, so that an
-- edited, deleted or reordered record breaks the chain. The anchor's row 1 holds the last purged record's hash,
-- so a log whose oldest records were purged (after the retention period) still verifies from there; row 2 holds
-- the newest record's, so that removing the newest records is found as well.
CREATE TABLE audit_log (
    seq          BIGINT          PRIMARY KEY,
    at           BIGINT          NOT NULL,
    request_id   VARCHAR(100)    NOT NULL,
    produce_id   VARCHAR(64)     NOT NULL,
    tenant       VARCHAR(200)    NOT NULL,
    user_id      VARCHAR(200),
    key_id       VARCHAR(40),
    model        VARCHAR(200),
    route        VARCHAR(2000),
    status       INT             NOT NULL,
    decision     VARCHAR(20)     NOT NULL,
    safety       VARCHAR(20000)  NOT NULL,
    label        VARCHAR(40)     NOT NULL,
    input_text   VARCHAR(1000000),
    input_hash   VARCHAR(64)     NOT NULL,
    output_text  VARCHAR(1000000),
    output_hash  VARCHAR(64)     NOT NULL,
    prev_hash    VARCHAR(64)     NOT NULL,
    hash         VARCHAR(64)     NOT NULL
);
CREATE INDEX audit_log_produce ON audit_log (produce_id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TABLE audit_anchor (
    id     INT          PRIMARY KEY,
    seq    BIGINT       NOT NULL,
    hash   VARCHAR(64)  NOT NULL
);
