-- Tenants' routing policies: the tiers their requests may run on (e.g. a tenant whose data must stay on its own
-- devices and edge boxes never reaches the cloud) and the lowest variant quality it accepts. A tenant with no row
-- may use every tier at any quality.
CREATE TABLE tenants (
    name        VARCHAR(200)     PRIMARY KEY,
    tiers       VARCHAR(40)      NOT NULL,
    min_quality DOUBLE PRECISION,
    updated_at  BIGINT           NOT NULL
);
