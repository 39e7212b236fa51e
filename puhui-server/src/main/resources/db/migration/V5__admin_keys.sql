-- Administrators' keys: only they may manage the pool (nodes, join tokens, the route log) over the API.
ALTER TABLE api_keys ADD COLUMN admin BOOLEAN DEFAULT FALSE NOT NULL;
