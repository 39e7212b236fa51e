-- Complaints and reports about generated content (Interim Measures, Art. 15): each names the ProduceID of what
-- it is about, links to that response's audit record, and is handled by an administrator before its deadline.
CREATE TABLE reports (
    id              VARCHAR(40)    PRIMARY KEY,
    produce_id      VARCHAR(64)    NOT NULL,
    audit_seq       BIGINT         NOT NULL,
    reporter_key    VARCHAR(40),
    reporter_tenant VARCHAR(200)   NOT NULL,
    reason          VARCHAR(4000)  NOT NULL,
    category        VARCHAR(40),
    status          VARCHAR(20)    NOT NULL,
    created_at      BIGINT         NOT NULL,
    due_at          BIGINT         NOT NULL,
    handled_at      BIGINT,
    action          VARCHAR(40),
    note            VARCHAR(4000)
);
CREATE INDEX reports_status ON reports (status, due_at);
