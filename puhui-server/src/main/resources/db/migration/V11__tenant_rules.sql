-- A tenant's own rules and label: categories whose flagging entries refuse for its users (a children's
-- education service blocks the base lexicon's pornography and gambling, say), and its label's wording and place.
ALTER TABLE tenant_compliance ADD COLUMN block_categories VARCHAR(400);
ALTER TABLE tenant_compliance ADD COLUMN label_text VARCHAR(400);
ALTER TABLE tenant_compliance ADD COLUMN label_position VARCHAR(10);
