#include "adapters/move/postgres/pg_tenant_tables.h"

#include <algorithm>

#include "adapters/move/postgres/pg_fence.h"
#include "adapters/move/postgres/pg_tables.h"

namespace domicile::pgmove {
namespace {

TenantTable FromPg(const PgTable& t) {
  TenantTable out;
  out.move = t.move;
  out.engine = Engine::kPostgres;
  for (const PgColumn& c : t.columns) {
    out.columns.push_back({c.name, c.type, PgKind(c.type), c.not_null});
  }
  return out;
}

// The table as this engine would create it: types as declared when `t` is PostgreSQL's,
// mapped from the kinds otherwise.
PgTable ToPg(const TenantTable& t) {
  PgTable out;
  out.move = t.move;
  for (const TableColumn& c : t.columns) {
    out.columns.push_back(
        {c.name, t.engine == Engine::kPostgres ? c.type : PgTypeFor(c.kind), c.not_null});
  }
  return out;
}

}  // namespace

ColumnType PgKind(std::string_view type) {
  if (type == "boolean") return ColumnType::kBool;
  if (type == "smallint" || type == "integer" || type == "bigint" || type == "oid") {
    return ColumnType::kInt64;
  }
  if (type == "real" || type == "double precision" || type.substr(0, 7) == "numeric") {
    return ColumnType::kFloat64;
  }
  if (type == "bytea") return ColumnType::kBytes;
  return ColumnType::kText;
}

std::string PgTypeFor(ColumnType kind) {
  switch (kind) {
    case ColumnType::kBool:
      return "boolean";
    case ColumnType::kInt64:
      return "bigint";
    case ColumnType::kFloat64:
      return "double precision";
    case ColumnType::kBytes:
      return "bytea";
    default:
      return "text";
  }
}

PostgresTenantTables::PostgresTenantTables(std::string conninfo, std::string label)
    : conninfo_(std::move(conninfo)), label_(std::move(label)) {}

PostgresTenantTables::~PostgresTenantTables() = default;

Result<PgLink*> PostgresTenantTables::Link() {
  if (!link_) {
    Result<PgLink> link = PgLink::Connect(conninfo_, label_);
    if (!link.ok()) return link.status();
    link_.emplace(std::move(*link));
  }
  return &*link_;
}

Status PostgresTenantTables::Reset(Status status) {
  if (!status.ok()) link_.reset();
  return status;
}

Result<std::vector<TenantTable>> PostgresTenantTables::List(const RoutingRules& rules) {
  Result<PgLink*> link = Link();
  if (!link.ok()) return link.status();
  Result<std::vector<PgTable>> found = ListTenantTables(**link, rules);
  if (!found.ok()) return Reset(found.status());
  std::vector<TenantTable> out;
  for (const PgTable& t : *found) out.push_back(FromPg(t));
  return out;
}

Result<std::vector<TenantTable>> PostgresTenantTables::CheckTarget(
    const std::vector<TenantTable>& wanted, const RoutingRules& rules, bool create_schema) {
  Result<PgLink*> link = Link();
  if (!link.ok()) return link.status();
  std::vector<PgTable> as_pg;
  bool same_engine = true;
  for (const TenantTable& t : wanted) {
    as_pg.push_back(ToPg(t));
    same_engine = same_engine && t.engine == Engine::kPostgres;
  }
  if (same_engine) {
    // Types compared too, as the streaming mover does.
    DOMICILE_RETURN_IF_ERROR(Reset(CheckTargetTables(**link, **link, as_pg, rules, create_schema)));
  } else if (create_schema) {
    // Missing tables created with mapped types; the names are checked below.
    Result<std::vector<PgTable>> have = ListTenantTables(**link, rules);
    if (!have.ok()) return Reset(have.status());
    std::vector<PgTable> missing;
    for (const PgTable& t : as_pg) {
      const bool exists = std::any_of(have->begin(), have->end(),
                                      [&](const PgTable& h) { return h.move.name == t.move.name; });
      if (!exists) missing.push_back(t);
    }
    if (!missing.empty()) {
      DOMICILE_RETURN_IF_ERROR(Reset(CheckTargetTables(**link, **link, missing, rules, true)));
    }
  }
  Result<std::vector<PgTable>> have = ListTenantTables(**link, rules);
  if (!have.ok()) return Reset(have.status());
  std::vector<std::string> problems;
  std::vector<TenantTable> out;
  for (const TenantTable& t : wanted) {
    auto h = std::find_if(have->begin(), have->end(),
                          [&](const PgTable& x) { return x.move.name == t.move.name; });
    if (h == have->end()) {
      problems.push_back(label_ + " has no table " + t.move.name + " with column " +
                         t.move.tenant_key);
      continue;
    }
    for (const TableColumn& c : t.columns) {
      if (std::find(h->move.columns.begin(), h->move.columns.end(), c.name) ==
          h->move.columns.end()) {
        problems.push_back(label_ + ": table " + t.move.name + " has no column " + c.name + " (" +
                           c.type + ")");
      }
    }
    out.push_back(FromPg(*h));
  }
  if (problems.empty()) return out;
  std::string message = "the target's schema does not match the source's";
  for (const std::string& p : problems) message += "\n  " + p;
  if (!create_schema) message += "\n  (--create-schema creates missing tables like the source)";
  return InvalidArgument(message);
}

Status PostgresTenantTables::RaiseFence(const std::vector<MoveTable>& tables,
                                        const std::string& tenant, uint64_t epoch,
                                        const std::string& move_id,
                                        std::chrono::milliseconds wait) {
  Result<PgLink*> link = Link();
  if (!link.ok()) return link.status();
  return Reset(pgmove::RaiseFence(**link, tables, tenant, epoch, move_id, wait));
}

Status PostgresTenantTables::LowerFence(const std::string& tenant, const std::string& move_id) {
  Result<PgLink*> link = Link();
  if (!link.ok()) return link.status();
  return Reset(pgmove::LowerFence(**link, tenant, move_id));
}

Status PostgresTenantTables::Purge(const std::vector<MoveTable>& tables,
                                   const std::string& tenant) {
  Result<PgLink*> link = Link();
  if (!link.ok()) return link.status();
  return Reset(PurgeTenant(**link, tables, tenant));
}

Status PostgresTenantTables::DeleteRows(const std::vector<MoveTable>& tables,
                                        const std::string& tenant) {
  Result<PgLink*> link = Link();
  if (!link.ok()) return link.status();
  Result<Rows> deleted =
      (*link)->Exec("BEGIN; " + DeleteTenantRowsSql(tables, tenant) + " COMMIT;");
  if (!deleted.ok()) {
    (void)(*link)->Exec("ROLLBACK");
    return Reset(deleted.status());
  }
  return {};
}

}  // namespace domicile::pgmove
