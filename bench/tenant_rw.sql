-- pgwire_compare.sh --two-shards: a TPC-B-like write transaction, every statement keyed by
-- tenant. BEGIN itself names no tenant: the router has to hold it until the first keyed
-- statement. Variables from the command line: -D ntenants=N -D naccounts=M.
\set tid random(1, :ntenants)
\set aid random(1, :naccounts)
\set delta random(-5000, 5000)
BEGIN;
UPDATE accounts SET abalance = abalance + :delta WHERE tenant_id = :tid AND aid = :aid;
SELECT abalance FROM accounts WHERE tenant_id = :tid AND aid = :aid;
INSERT INTO history (tenant_id, aid, delta, mtime) VALUES (:tid, :aid, :delta, CURRENT_TIMESTAMP);
END;
