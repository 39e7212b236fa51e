-- Where a compressed model came from and what it lost: the parent's sha256, the method (type, imatrix, fit),
-- and the fidelity `puhui eval` measured against the parent (mean KL divergence, top-1 agreement).
ALTER TABLE models ADD COLUMN parent_sha256 VARCHAR(64);
ALTER TABLE models ADD COLUMN method VARCHAR(2000);
ALTER TABLE models ADD COLUMN kl_mean DOUBLE PRECISION;
ALTER TABLE models ADD COLUMN top1 DOUBLE PRECISION;
