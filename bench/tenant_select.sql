-- pgwire_compare.sh --two-shards: one point read whose tenant key is in the SQL.
-- Variables from the command line: -D ntenants=N -D naccounts=M.
\set tid random(1, :ntenants)
\set aid random(1, :naccounts)
SELECT abalance FROM accounts WHERE tenant_id = :tid AND aid = :aid;
