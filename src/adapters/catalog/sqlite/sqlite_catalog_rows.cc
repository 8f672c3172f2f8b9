// Mapping between catalog rows in SQLite and domain values: reading a snapshot, writing ops.
#include "adapters/catalog/sqlite/sqlite_catalog_rows.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace domicile::sqlite {
namespace {

Status BadRow(const Db& db, const std::string& what) {
  return Corrupt("catalog " + db.path() + ": " + what);
}

Result<uint32_t> ReadU32(const Db& db, const Stmt& stmt, int col, const std::string& what) {
  int64_t v = stmt.Int(col);
  if (v < 0 || v > std::numeric_limits<uint32_t>::max()) {
    return BadRow(db, what + " out of range: " + std::to_string(v));
  }
  return static_cast<uint32_t>(v);
}

Status ReadJurisdictions(Db& db, std::vector<Jurisdiction>* out) {
  auto js = Stmt::Prepare(db, "SELECT code, name FROM jurisdictions ORDER BY code");
  if (!js.ok()) return js.status();
  for (;;) {
    auto row = js->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out->push_back(Jurisdiction{std::string(js->Text(0)), std::string(js->Text(1)), {}});
  }
  auto rs =
      Stmt::Prepare(db, "SELECT code, region FROM jurisdiction_regions ORDER BY code, region");
  if (!rs.ok()) return rs.status();
  for (;;) {
    auto row = rs->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string_view code = rs->Text(0);
    auto it =
        std::lower_bound(out->begin(), out->end(), code,
                         [](const Jurisdiction& j, std::string_view c) { return j.code < c; });
    if (it == out->end() || it->code != code) {
      return BadRow(db, "region of unknown jurisdiction " + std::string(code));
    }
    it->regions.emplace_back(rs->Text(1));
  }
  return Status::Ok();
}

Status ReadShards(Db& db, std::vector<Shard>* out) {
  auto st =
      Stmt::Prepare(db,
                    "SELECT id, engine, region, jurisdiction, address, state, weight, capacity "
                    "FROM shards ORDER BY id");
  if (!st.ok()) return st.status();
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Shard s;
    s.id = st->Text(0);
    auto engine = ParseEngine(st->Text(1));
    if (!engine) return BadRow(db, "shard " + s.id + " has unknown engine");
    s.engine = *engine;
    s.region = st->Text(2);
    s.jurisdiction = st->Text(3);
    s.address = st->Text(4);
    auto state = ParseShardState(st->Text(5));
    if (!state) return BadRow(db, "shard " + s.id + " has unknown state");
    s.state = *state;
    auto weight = ReadU32(db, *st, 6, "shard " + s.id + " weight");
    if (!weight.ok()) return weight.status();
    auto capacity = ReadU32(db, *st, 7, "shard " + s.id + " capacity");
    if (!capacity.ok()) return capacity.status();
    s.weight = *weight;
    s.capacity = *capacity;
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

// Merges two scans ordered by tenant id, so 1M tenants cost two sequential passes and no
// per-tenant lookups.
Status ReadTenants(Db& db, std::vector<Tenant>* out) {
  auto ts = Stmt::Prepare(db, "SELECT id, home_shard, state, version FROM tenants ORDER BY id");
  if (!ts.ok()) return ts.status();
  auto as = Stmt::Prepare(
      db, "SELECT tenant_id, jurisdiction FROM tenant_allowed ORDER BY tenant_id, jurisdiction");
  if (!as.ok()) return as.status();
  auto allowed_row = as->Step();
  if (!allowed_row.ok()) return allowed_row.status();
  for (;;) {
    auto row = ts->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Tenant t;
    t.id = ts->Text(0);
    t.home_shard = ts->Text(1);
    auto state = ParseTenantState(ts->Text(2));
    if (!state) return BadRow(db, "tenant " + t.id + " has unknown state");
    t.state = *state;
    int64_t version = ts->Int(3);
    if (version < 0) return BadRow(db, "tenant " + t.id + " has a negative version");
    t.version = static_cast<uint64_t>(version);
    while (*allowed_row) {
      std::string_view owner = as->Text(0);
      if (owner > t.id) break;
      if (owner < t.id)
        return BadRow(db, "allowed jurisdiction of unknown tenant " + std::string(owner));
      t.allowed.emplace_back(as->Text(1));
      allowed_row = as->Step();
      if (!allowed_row.ok()) return allowed_row.status();
    }
    out->push_back(std::move(t));
  }
  if (*allowed_row) {
    return BadRow(db, "allowed jurisdiction of unknown tenant " + std::string(as->Text(0)));
  }
  return Status::Ok();
}

}  // namespace

Result<Stmt> PrepareReadVersion(const Db& db) {
  return Stmt::Prepare(db, "SELECT version FROM catalog_meta WHERE id = 1");
}

Result<uint64_t> ReadVersion(Db& db, Stmt& prepared) {
  auto row = prepared.Step();
  int64_t v = row.ok() && *row ? prepared.Int(0) : 0;
  prepared.Reset();  // ends the statement's read, so it holds no snapshot between polls
  if (!row.ok()) return row.status();
  if (!*row) return BadRow(db, "catalog_meta has no version row");
  if (v < 0) return BadRow(db, "negative catalog version");
  return static_cast<uint64_t>(v);
}

Result<uint64_t> ReadVersion(Db& db) {
  auto st = PrepareReadVersion(db);
  if (!st.ok()) return st.status();
  return ReadVersion(db, *st);
}

Result<ShardMap> ReadCatalog(Db& db) {
  auto version = ReadVersion(db);
  if (!version.ok()) return version.status();
  std::vector<Jurisdiction> jurisdictions;
  std::vector<Shard> shards;
  std::vector<Tenant> tenants;
  DOMICILE_RETURN_IF_ERROR(ReadJurisdictions(db, &jurisdictions));
  DOMICILE_RETURN_IF_ERROR(ReadShards(db, &shards));
  DOMICILE_RETURN_IF_ERROR(ReadTenants(db, &tenants));
  auto map =
      ShardMap::Build(*version, std::move(jurisdictions), std::move(shards), std::move(tenants));
  if (!map.ok())
    return Status(map.status().code(), "catalog " + db.path() + ": " + map.status().message());
  return map;
}

struct OpWriter::Statements {
  Stmt put_jurisdiction;
  Stmt clear_regions;
  Stmt add_region;
  Stmt put_shard;
  Stmt put_tenant;
  Stmt clear_allowed;
  Stmt add_allowed;
  Stmt delete_tenant;
};

OpWriter::OpWriter(OpWriter&&) noexcept = default;
OpWriter::~OpWriter() = default;

Result<OpWriter> OpWriter::Prepare(Db& db) {
  // Upserts, never INSERT OR REPLACE: REPLACE deletes the row first, which would cascade to
  // child rows and trip foreign keys from other tables.
  constexpr const char* kSql[] = {
      "INSERT INTO jurisdictions (code, name) VALUES (?1, ?2) "
      "ON CONFLICT (code) DO UPDATE SET name = excluded.name",
      "DELETE FROM jurisdiction_regions WHERE code = ?1",
      "INSERT INTO jurisdiction_regions (code, region) VALUES (?1, ?2)",
      "INSERT INTO shards (id, engine, region, jurisdiction, address, state, weight, capacity) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO UPDATE SET "
      "engine = excluded.engine, region = excluded.region, jurisdiction = excluded.jurisdiction, "
      "address = excluded.address, state = excluded.state, weight = excluded.weight, "
      "capacity = excluded.capacity",
      "INSERT INTO tenants (id, home_shard, state, version) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (id) DO UPDATE SET home_shard = excluded.home_shard, "
      "state = excluded.state, version = excluded.version",
      "DELETE FROM tenant_allowed WHERE tenant_id = ?1",
      "INSERT INTO tenant_allowed (tenant_id, jurisdiction) VALUES (?1, ?2)",
      "DELETE FROM tenants WHERE id = ?1",
  };
  std::vector<Stmt> stmts;
  for (const char* sql : kSql) {
    auto stmt = Stmt::Prepare(db, sql);
    if (!stmt.ok()) return stmt.status();
    stmts.push_back(std::move(*stmt));
  }
  OpWriter w;
  w.s_ = std::make_unique<Statements>(Statements{
      std::move(stmts[0]), std::move(stmts[1]), std::move(stmts[2]), std::move(stmts[3]),
      std::move(stmts[4]), std::move(stmts[5]), std::move(stmts[6]), std::move(stmts[7])});
  return w;
}

Status OpWriter::Write(const CatalogOp& op) {
  if (auto* p = std::get_if<PutJurisdiction>(&op)) return WriteJurisdiction(p->jurisdiction);
  if (auto* p = std::get_if<PutShard>(&op)) return WriteShard(p->shard);
  if (auto* p = std::get_if<PutTenant>(&op)) return WriteTenant(p->tenant);
  if (auto* p = std::get_if<RemoveTenant>(&op)) return DeleteTenant(p->tenant_id);
  // ShardMap::Apply rewrites Set*State as complete Put* entities; anything else is a bug.
  return Internal("catalog commit: not an effective operation: " + DescribeOp(op));
}

// Runs `stmt` once and leaves it ready for the next use, whatever happened.
static Status RunOnce(Stmt& stmt) {
  Status st = stmt.Run();
  stmt.Reset();
  return st;
}

Status OpWriter::WriteJurisdiction(const Jurisdiction& j) {
  Statements& s = *s_;
  DOMICILE_RETURN_IF_ERROR(s.put_jurisdiction.Bind(1, j.code));
  DOMICILE_RETURN_IF_ERROR(s.put_jurisdiction.Bind(2, j.name));
  DOMICILE_RETURN_IF_ERROR(RunOnce(s.put_jurisdiction));
  DOMICILE_RETURN_IF_ERROR(s.clear_regions.Bind(1, j.code));
  DOMICILE_RETURN_IF_ERROR(RunOnce(s.clear_regions));
  for (const auto& region : j.regions) {
    DOMICILE_RETURN_IF_ERROR(s.add_region.Bind(1, j.code));
    DOMICILE_RETURN_IF_ERROR(s.add_region.Bind(2, region));
    DOMICILE_RETURN_IF_ERROR(RunOnce(s.add_region));
  }
  return Status::Ok();
}

Status OpWriter::WriteShard(const Shard& sh) {
  Stmt& st = s_->put_shard;
  DOMICILE_RETURN_IF_ERROR(st.Bind(1, sh.id));
  DOMICILE_RETURN_IF_ERROR(st.Bind(2, EngineName(sh.engine)));
  DOMICILE_RETURN_IF_ERROR(st.Bind(3, sh.region));
  DOMICILE_RETURN_IF_ERROR(st.Bind(4, sh.jurisdiction));
  DOMICILE_RETURN_IF_ERROR(st.Bind(5, sh.address));
  DOMICILE_RETURN_IF_ERROR(st.Bind(6, ShardStateName(sh.state)));
  DOMICILE_RETURN_IF_ERROR(st.Bind(7, int64_t{sh.weight}));
  DOMICILE_RETURN_IF_ERROR(st.Bind(8, int64_t{sh.capacity}));
  return RunOnce(st);
}

Status OpWriter::WriteTenant(const Tenant& t) {
  Statements& s = *s_;
  if (t.version > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return InvalidArgument("tenant " + t.id + ": version does not fit the catalog");
  }
  DOMICILE_RETURN_IF_ERROR(s.put_tenant.Bind(1, t.id));
  DOMICILE_RETURN_IF_ERROR(s.put_tenant.Bind(2, t.home_shard));
  DOMICILE_RETURN_IF_ERROR(s.put_tenant.Bind(3, TenantStateName(t.state)));
  DOMICILE_RETURN_IF_ERROR(s.put_tenant.Bind(4, static_cast<int64_t>(t.version)));
  DOMICILE_RETURN_IF_ERROR(RunOnce(s.put_tenant));
  DOMICILE_RETURN_IF_ERROR(s.clear_allowed.Bind(1, t.id));
  DOMICILE_RETURN_IF_ERROR(RunOnce(s.clear_allowed));
  for (const auto& code : t.allowed) {
    DOMICILE_RETURN_IF_ERROR(s.add_allowed.Bind(1, t.id));
    DOMICILE_RETURN_IF_ERROR(s.add_allowed.Bind(2, code));
    DOMICILE_RETURN_IF_ERROR(RunOnce(s.add_allowed));
  }
  return Status::Ok();
}

Status OpWriter::DeleteTenant(const std::string& id) {
  Statements& s = *s_;
  // Children first, so the delete does not depend on ON DELETE CASCADE being enabled.
  DOMICILE_RETURN_IF_ERROR(s.clear_allowed.Bind(1, id));
  DOMICILE_RETURN_IF_ERROR(RunOnce(s.clear_allowed));
  DOMICILE_RETURN_IF_ERROR(s.delete_tenant.Bind(1, id));
  return RunOnce(s.delete_tenant);
}

}  // namespace domicile::sqlite
