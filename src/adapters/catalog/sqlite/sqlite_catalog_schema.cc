// The catalog file's schema: the "this is a domicile catalog" marker and numbered migrations.
#include "adapters/catalog/sqlite/sqlite_catalog_schema.h"

#include <chrono>
#include <string>

namespace domicile::sqlite {
namespace {

// Migration N is kMigrations[N - 1]. Never edit a released migration: append a new one.
// States and engines are stored as their words so an operator can read the file with sqlite3.
constexpr const char* kMigrations[] = {
    // 1: the initial catalog.
    R"sql(
CREATE TABLE catalog_meta (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL CHECK (version >= 0)
);
INSERT INTO catalog_meta (id, version) VALUES (1, 0);

CREATE TABLE jurisdictions (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE jurisdiction_regions (
  code   TEXT NOT NULL REFERENCES jurisdictions (code) ON DELETE CASCADE,
  region TEXT NOT NULL UNIQUE,
  PRIMARY KEY (code, region)
) WITHOUT ROWID;

CREATE TABLE shards (
  id           TEXT PRIMARY KEY,
  engine       TEXT NOT NULL CHECK (engine IN ('postgres', 'sqlite')),
  region       TEXT NOT NULL,
  jurisdiction TEXT NOT NULL REFERENCES jurisdictions (code),
  address      TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('active', 'draining', 'offline')),
  weight       INTEGER NOT NULL CHECK (weight > 0 AND weight <= 4294967295),
  capacity     INTEGER NOT NULL CHECK (capacity >= 0 AND capacity <= 4294967295)
) WITHOUT ROWID;

CREATE TABLE tenants (
  id         TEXT PRIMARY KEY,
  home_shard TEXT NOT NULL REFERENCES shards (id),
  state      TEXT NOT NULL CHECK (state IN ('active', 'moving', 'frozen')),
  version    INTEGER NOT NULL CHECK (version >= 0)
) WITHOUT ROWID;

CREATE TABLE tenant_allowed (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  jurisdiction TEXT NOT NULL REFERENCES jurisdictions (code),
  PRIMARY KEY (tenant_id, jurisdiction)
) WITHOUT ROWID;

CREATE TABLE catalog_changes (
  version         INTEGER PRIMARY KEY,
  committed_at_ms INTEGER NOT NULL,
  reason          TEXT NOT NULL,
  ops             TEXT NOT NULL  -- DescribeOp of each effective operation, one per line
);
)sql",
    // 2: tenant state 'held' (a move's cutover). SQLite cannot alter a CHECK, so both tenant
    // tables are copied: dropping tenant_allowed first means dropping tenants cascades nothing.
    R"sql(
CREATE TABLE tenants_v2 (
  id         TEXT PRIMARY KEY,
  home_shard TEXT NOT NULL REFERENCES shards (id),
  state      TEXT NOT NULL CHECK (state IN ('active', 'moving', 'frozen', 'held')),
  version    INTEGER NOT NULL CHECK (version >= 0)
) WITHOUT ROWID;
INSERT INTO tenants_v2 (id, home_shard, state, version)
  SELECT id, home_shard, state, version FROM tenants;

CREATE TABLE tenant_allowed_v2 (
  tenant_id    TEXT NOT NULL REFERENCES tenants_v2 (id) ON DELETE CASCADE,
  jurisdiction TEXT NOT NULL REFERENCES jurisdictions (code),
  PRIMARY KEY (tenant_id, jurisdiction)
) WITHOUT ROWID;
INSERT INTO tenant_allowed_v2 (tenant_id, jurisdiction)
  SELECT tenant_id, jurisdiction FROM tenant_allowed;

DROP TABLE tenant_allowed;
DROP TABLE tenants;
ALTER TABLE tenants_v2 RENAME TO tenants;
ALTER TABLE tenant_allowed_v2 RENAME TO tenant_allowed;
)sql",
    // 3: tenant move records (TenantMove, src/domain/move_state.h), one row per move and one
    // per table. The partial unique index is the "one unfinished move per tenant" guard. State
    // has no CHECK, so a new saga state needs no table rebuild; readers refuse unknown words.
    // Unsigned counters are stored as their 64 bits (above 2^63 they read back negative here).
    R"sql(
CREATE TABLE tenant_move (
  id                 TEXT PRIMARY KEY,
  tenant             TEXT NOT NULL,
  source_shard       TEXT NOT NULL,
  target_shard       TEXT NOT NULL,
  planned_version    INTEGER NOT NULL,
  requires_freeze    INTEGER NOT NULL CHECK (requires_freeze IN (0, 1)),
  relay_jurisdiction TEXT NOT NULL,
  grace_ms           INTEGER NOT NULL,
  state              TEXT NOT NULL,
  snapshot           TEXT NOT NULL,
  slot               TEXT NOT NULL,
  start_position     TEXT NOT NULL,
  applied_position   TEXT NOT NULL,
  fence_epoch        INTEGER NOT NULL,
  source_fenced      INTEGER NOT NULL CHECK (source_fenced IN (0, 1)),
  drained_position   TEXT NOT NULL,
  flip_version       INTEGER NOT NULL,
  hold_ms            INTEGER NOT NULL,
  source_purged      INTEGER NOT NULL CHECK (source_purged IN (0, 1)),
  flips_back         INTEGER NOT NULL CHECK (flips_back IN (0, 1)),
  reverse_position   TEXT NOT NULL,
  target_fenced      INTEGER NOT NULL CHECK (target_fenced IN (0, 1)),
  reverse_drained    INTEGER NOT NULL CHECK (reverse_drained IN (0, 1)),
  flipped_back       INTEGER NOT NULL CHECK (flipped_back IN (0, 1)),
  planned_at_ms      INTEGER NOT NULL,
  updated_at_ms      INTEGER NOT NULL,
  flipped_at_ms      INTEGER NOT NULL,
  grace_end_ms       INTEGER NOT NULL,
  ended_at_ms        INTEGER NOT NULL,
  failure            TEXT NOT NULL,
  cutover_attempts   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE UNIQUE INDEX tenant_move_unfinished ON tenant_move (tenant)
  WHERE state NOT IN ('done', 'rolled-back');

CREATE TABLE tenant_move_table (
  move_id         TEXT NOT NULL REFERENCES tenant_move (id) ON DELETE CASCADE,
  table_name      TEXT NOT NULL,
  position        INTEGER NOT NULL,  -- index in TenantMove::tables, kept as given
  rows_copied     INTEGER NOT NULL,
  bytes_copied    INTEGER NOT NULL,
  verified        INTEGER NOT NULL CHECK (verified IN (0, 1)),
  source_rows     INTEGER NOT NULL,
  target_rows     INTEGER NOT NULL,
  source_checksum TEXT NOT NULL,
  target_checksum TEXT NOT NULL,
  PRIMARY KEY (move_id, table_name)
) WITHOUT ROWID;
)sql",
};

constexpr int kMigrationCount = static_cast<int>(std::size(kMigrations));

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<int64_t> QueryInt(Db& db, std::string_view sql) {
  auto stmt = Stmt::Prepare(db, sql);
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? stmt->Int(0) : int64_t{0};
}

Status NotACatalog(const Db& db, const std::string& why) {
  return Corrupt(db.path() + " is not a domicile catalog (" + why + ")");
}

// Runs migration `n` unless another process got there first.
Status ApplyMigration(Db& db, int n) {
  auto txn = Transaction::Begin(db, "BEGIN IMMEDIATE");
  if (!txn.ok()) return txn.status();
  DOMICILE_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
              "version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)"));
  auto done =
      QueryInt(db, "SELECT count(*) FROM schema_migrations WHERE version >= " + std::to_string(n));
  if (!done.ok()) return done.status();
  if (*done > 0) return txn->Commit();
  DOMICILE_RETURN_IF_ERROR(db.Exec(kMigrations[n - 1]));
  auto record = Stmt::Prepare(db, "INSERT INTO schema_migrations VALUES (?1, ?2)");
  if (!record.ok()) return record.status();
  DOMICILE_RETURN_IF_ERROR(record->Bind(1, int64_t{n}));
  DOMICILE_RETURN_IF_ERROR(record->Bind(2, NowUnixMs()));
  DOMICILE_RETURN_IF_ERROR(record->Run());
  if (n == 1) {
    // In the same transaction as the first tables, so nobody ever sees tables without it.
    DOMICILE_RETURN_IF_ERROR(
        db.Exec("PRAGMA application_id = " + std::to_string(kCatalogApplicationId)));
  }
  return txn->Commit();
}

}  // namespace

int LatestSchemaVersion() { return kMigrationCount; }

Status CheckIsCatalog(Db& db) {
  // Reads only: a foreign file must come out byte for byte as it went in.
  auto app_id = QueryInt(db, "PRAGMA application_id");
  if (!app_id.ok()) {
    if (app_id.status().code() == StatusCode::kCorrupt) {
      return NotACatalog(db, "not an SQLite database");
    }
    return app_id.status();
  }
  auto objects = QueryInt(db, "SELECT count(*) FROM sqlite_schema");
  if (!objects.ok()) return objects.status();
  if (*app_id == kCatalogApplicationId) return Status::Ok();
  if (*app_id != 0) {
    return NotACatalog(db, "SQLite application_id " + std::to_string(*app_id));
  }
  if (*objects > 0) return NotACatalog(db, "SQLite database with other tables");
  return Status::Ok();  // empty: a new catalog
}

Result<int> StoredSchemaVersion(Db& db) {
  auto exists = QueryInt(
      db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
  if (!exists.ok()) return exists.status();
  if (*exists == 0) return 0;
  auto version = QueryInt(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!version.ok()) return version.status();
  return static_cast<int>(*version);
}

Status Migrate(Db& db) { return MigrateTo(db, kMigrationCount); }

Status MigrateTo(Db& db, int version) {
  if (version < 0 || version > kMigrationCount) {
    return InvalidArgument("no catalog schema version " + std::to_string(version));
  }
  auto stored = StoredSchemaVersion(db);
  if (!stored.ok()) return stored.status();
  if (*stored > kMigrationCount) {
    return InvalidArgument("catalog " + db.path() + " has schema version " +
                           std::to_string(*stored) + ", newer than this domicile understands (" +
                           std::to_string(kMigrationCount) + "): upgrade domicile");
  }
  for (int n = *stored + 1; n <= version; ++n) {
    Status st = ApplyMigration(db, n);
    if (!st.ok()) {
      return Status(st.code(), "catalog " + db.path() + ": migration " + std::to_string(n) +
                                   " failed: " + st.message());
    }
  }
  return Status::Ok();
}

}  // namespace domicile::sqlite
