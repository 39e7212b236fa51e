-- The label column holds why a response had only the implicit label (the user accepted the terms, or the answer
-- was structured output), longer than the 40 characters first given.
ALTER TABLE audit_log ALTER COLUMN label SET DATA TYPE VARCHAR(200);
