#include "adapters/move/postgres/pg_fence.h"

#include <thread>

namespace domicile::pgmove {
namespace {

// Advisory lock space of fences ("domi"); the second key is hashtext(tenant).
constexpr const char* kLockSpace = "1685024105";

constexpr const char* kInstallSql = R"sql(
CREATE TABLE IF NOT EXISTS domicile_fence (
  tenant text PRIMARY KEY,
  epoch bigint NOT NULL,
  move_id text NOT NULL,
  fenced_at timestamptz NOT NULL DEFAULT now(),
  fenced boolean NOT NULL DEFAULT true);
CREATE OR REPLACE FUNCTION domicile_fence_check() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  keys text[] := ARRAY[]::text[];
  k text;
  e bigint;
  is_fenced boolean;
BEGIN
  IF current_setting('domicile.fence_bypass', true) = 'on' THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP <> 'INSERT' THEN keys := keys || (to_jsonb(OLD) ->> TG_ARGV[0]); END IF;
  IF TG_OP <> 'DELETE' THEN keys := keys || (to_jsonb(NEW) ->> TG_ARGV[0]); END IF;
  FOREACH k IN ARRAY keys LOOP
    CONTINUE WHEN k IS NULL;
    PERFORM pg_advisory_xact_lock_shared(1685024105, hashtext(k));
    IF current_setting('transaction_isolation') = 'read committed' THEN
      SELECT f.epoch, f.fenced INTO e, is_fenced FROM domicile_fence f WHERE f.tenant = k;
    ELSE
      -- A snapshot older than the fence would not see it; the fence row exists from before
      -- the move (unfenced) and raising the fence updates it, so locking it here fails with
      -- a serialization error (40001) for such a transaction instead of letting it write.
      SELECT f.epoch, f.fenced INTO e, is_fenced FROM domicile_fence f WHERE f.tenant = k FOR SHARE;
      IF NOT FOUND THEN
        -- The row may exist yet be newer than the snapshot (the move prepared it after this
        -- transaction began): inserting its key then fails with 40001 too. Only a probe: the
        -- insert is rolled back with its subtransaction.
        BEGIN
          INSERT INTO domicile_fence (tenant, epoch, move_id, fenced) VALUES (k, 0, '', false)
            ON CONFLICT (tenant) DO NOTHING;
          RAISE SQLSTATE 'DF001';
        EXCEPTION WHEN SQLSTATE 'DF001' THEN NULL;
        END;
      END IF;
    END IF;
    IF FOUND AND is_fenced THEN
      RAISE EXCEPTION 'tenant % is fenced on this shard: it moved to another shard (epoch %)', k, e
        USING ERRCODE = '55000',
              HINT = 'connect through domicile, which routes the tenant to its new shard';
    END IF;
  END LOOP;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END
$fn$;
)sql";

}  // namespace

std::string DeleteTenantRowsSql(const std::vector<MoveTable>& tables, const std::string& tenant) {
  std::string sql = "SET LOCAL domicile.fence_bypass = 'on';";
  for (const MoveTable& t : tables) {
    sql += " DELETE FROM " + QualifiedName(t.name) + " WHERE " + QuoteIdent(t.tenant_key) +
           " = " + QuoteLiteral(tenant) + ";";
  }
  return sql;
}

Status InstallFenceChecks(PgLink& link, const std::vector<MoveTable>& tables) {
  // One installer at a time per shard: PurgeTenant may be dropping the checks right now.
  // CREATE TRIGGER waits for every writer of the table and queues new ones behind it, so it
  // gives up quickly and tries again rather than stall other tenants behind a long writer.
  std::string sql = std::string("BEGIN; SET LOCAL lock_timeout = '200ms'; "
                                "SELECT pg_advisory_xact_lock(") +
                    kLockSpace + ", 0);" + kInstallSql;
  // Only missing triggers are created: CREATE TRIGGER locks the table against every writer,
  // which a fence raised under hold must not do for tables that already have the check.
  sql += "DO $do$ BEGIN ";
  for (const MoveTable& t : tables) {
    const std::string table = QualifiedName(t.name);
    sql += "IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'domicile_fence' AND tgrelid = " +
           QuoteLiteral(table) + "::regclass) THEN CREATE TRIGGER domicile_fence BEFORE INSERT OR "
           "UPDATE OR DELETE ON " + table + " FOR EACH ROW EXECUTE FUNCTION domicile_fence_check(" +
           QuoteLiteral(t.tenant_key) + "); END IF; ";
  }
  sql += "END $do$;";
  sql += "COMMIT;";
  for (int attempt = 0;; ++attempt) {
    Result<Rows> r = link.Exec(sql);
    if (r.ok()) return {};
    const bool busy = link.last_sqlstate() == "55P03";
    (void)link.Exec("ROLLBACK");
    if (!busy || attempt >= 50) return r.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Status RaiseFence(PgLink& link, const std::vector<MoveTable>& tables, const std::string& tenant,
                  uint64_t epoch, const std::string& move_id, std::chrono::milliseconds wait) {
  DOMICILE_RETURN_IF_ERROR(InstallFenceChecks(link, tables));
  // An update of the row PrepareFence made (see domicile_fence_check), bounded like the wait:
  // a REPEATABLE READ writer of the tenant holds a share lock on the row until it ends.
  const std::string bound = std::to_string(std::max<int64_t>(wait.count(), 1));
  Result<Rows> raised = link.Exec(
      "BEGIN; SET LOCAL lock_timeout = '" + bound + "ms'; "
      "INSERT INTO domicile_fence (tenant, epoch, move_id, fenced) VALUES (" +
      QuoteLiteral(tenant) + ", " + std::to_string(epoch) + ", " + QuoteLiteral(move_id) +
      ", true) ON CONFLICT (tenant) DO UPDATE SET epoch = EXCLUDED.epoch, "
      "move_id = EXCLUDED.move_id, fenced = true, fenced_at = now(); COMMIT;");
  if (!raised.ok()) {
    const bool timed_out = link.last_sqlstate() == "55P03";
    (void)link.Exec("ROLLBACK");
    if (timed_out) {
      return Unavailable(link.label() + ": tenant " + tenant +
                         " still had transactions in flight after " + bound + " ms");
    }
    return raised.status();
  }
  // Writers that passed the check before the fence row committed hold the shared lock until
  // they end; new writers queue behind this exclusive request and then see the fence row.
  Result<Rows> waited = link.Exec(
      "BEGIN; SET LOCAL lock_timeout = '" + bound + "ms'; SELECT pg_advisory_xact_lock(" +
      kLockSpace + ", hashtext(" + QuoteLiteral(tenant) + ")); COMMIT;");
  if (waited.ok()) return {};
  const bool timed_out = link.last_sqlstate() == "55P03";
  (void)link.Exec("ROLLBACK");
  (void)LowerFence(link, tenant, move_id);
  if (timed_out) {
    return Unavailable(link.label() + ": tenant " + tenant + " still had transactions in flight after " +
                       std::to_string(wait.count()) + " ms; fence lowered");
  }
  return waited.status();
}

Status PrepareFence(PgLink& link, const std::string& tenant, const std::string& move_id) {
  Result<Rows> r = link.Exec(
      "INSERT INTO domicile_fence (tenant, epoch, move_id, fenced) VALUES ($1, 0, $2, false) "
      "ON CONFLICT (tenant) DO NOTHING",
      {tenant, move_id});
  return r.ok() ? Status() : r.status();
}

Status LowerFence(PgLink& link, const std::string& tenant, const std::string& move_id) {
  // The row stays (unfenced): a later fence must update it, not insert it (see the check).
  Result<Rows> r = link.Exec(
      "UPDATE domicile_fence SET fenced = false WHERE tenant = $1 AND move_id = $2",
      {tenant, move_id});
  if (!r.ok() && link.last_sqlstate() == "42P01") return {};  // never installed
  return r.ok() ? Status() : r.status();
}

Status PurgeTenant(PgLink& link, const std::vector<MoveTable>& tables, const std::string& tenant) {
  std::string sql = "BEGIN; " + DeleteTenantRowsSql(tables, tenant);
  sql += " SELECT pg_advisory_xact_lock(" + std::string(kLockSpace) + ", 0);";
  sql += " CREATE TABLE IF NOT EXISTS domicile_fence (tenant text PRIMARY KEY, epoch bigint NOT "
         "NULL, move_id text NOT NULL, fenced_at timestamptz NOT NULL DEFAULT now(), "
         "fenced boolean NOT NULL DEFAULT true);";
  sql += " DELETE FROM domicile_fence WHERE tenant = " + QuoteLiteral(tenant) + ";";
  // The checks cost every write on these tables something: drop them with the last fence.
  sql += " DO $do$ BEGIN IF NOT EXISTS (SELECT 1 FROM domicile_fence) THEN";
  for (const MoveTable& t : tables) {
    sql += " DROP TRIGGER IF EXISTS domicile_fence ON " + QualifiedName(t.name) + ";";
  }
  sql += " END IF; END $do$; COMMIT;";
  Result<Rows> r = link.Exec(sql);
  if (!r.ok()) {
    (void)link.Exec("ROLLBACK");
    return r.status();
  }
  return {};
}

}  // namespace domicile::pgmove
