#include "fakes/in_memory_tenant_tables.h"

#include <algorithm>

#include "ports/sql_text.h"

namespace domicile::testing {
namespace {

std::string Names(const std::vector<MoveTable>& tables) {
  std::string out = "[";
  for (size_t i = 0; i < tables.size(); ++i) out += (i ? "," : "") + tables[i].name;
  return out + "]";
}

}  // namespace

TenantTable DescribeTable(const std::string& name, Engine engine,
                          const std::vector<TableColumn>& columns,
                          const std::vector<std::string>& key_columns) {
  TenantTable t;
  t.move.name = name;
  t.engine = engine;
  t.columns = columns;
  for (const TableColumn& c : columns) t.move.columns.push_back(c.name);
  t.move.key_columns = key_columns;
  return t;
}

InMemoryTenantTables::InMemoryTenantTables(std::vector<TenantTable> tables, ShardStorage* rows)
    : tables_(std::move(tables)), rows_(rows) {}

Result<std::vector<TenantTable>> InMemoryTenantTables::List(const RoutingRules& rules) {
  calls_.push_back("List");
  std::vector<TenantTable> out;
  for (TenantTable t : tables_) {
    const std::string& key = rules.KeyColumnFor("", t.move.name);
    if (std::find(t.move.columns.begin(), t.move.columns.end(), key) == t.move.columns.end()) {
      continue;
    }
    t.move.tenant_key = key;
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(),
            [](const TenantTable& a, const TenantTable& b) { return a.move.name < b.move.name; });
  return out;
}

Result<std::vector<TenantTable>> InMemoryTenantTables::CheckTarget(
    const std::vector<TenantTable>& wanted, const RoutingRules& rules, bool create_schema) {
  (void)rules;
  calls_.push_back(std::string("CheckTarget") + (create_schema ? " create" : ""));
  std::vector<std::string> problems;
  std::vector<TenantTable> out;
  for (const TenantTable& w : wanted) {
    auto find = [&] {
      return std::find_if(tables_.begin(), tables_.end(),
                          [&](const TenantTable& t) { return t.move.name == w.move.name; });
    };
    auto it = find();
    if (it == tables_.end() && create_schema) {
      tables_.push_back(w);
      it = find();
    }
    if (it == tables_.end()) {
      problems.push_back("no table " + w.move.name);
      continue;
    }
    for (const std::string& c : w.move.columns) {
      if (std::find(it->move.columns.begin(), it->move.columns.end(), c) ==
          it->move.columns.end()) {
        problems.push_back("table " + w.move.name + " has no column " + c);
      }
    }
    TenantTable mine = *it;
    mine.move.tenant_key = w.move.tenant_key;
    out.push_back(std::move(mine));
  }
  if (problems.empty()) return out;
  std::string message = "the target's schema does not match the source's";
  for (const std::string& p : problems) message += "\n  " + p;
  return InvalidArgument(message);
}

Status InMemoryTenantTables::RaiseFence(const std::vector<MoveTable>& tables,
                                        const std::string& tenant, uint64_t epoch,
                                        const std::string& move_id,
                                        std::chrono::milliseconds wait) {
  calls_.push_back("RaiseFence " + tenant + " " + std::to_string(epoch) + " " + move_id + " " +
                   Names(tables));
  if (refuse_next_fence_) {
    refuse_next_fence_ = false;
    return Unavailable("tenant " + tenant + " still had transactions in flight after " +
                       std::to_string(wait.count()) + " ms; fence not raised");
  }
  fences_[tenant] = {epoch, move_id};
  return {};
}

Status InMemoryTenantTables::LowerFence(const std::string& tenant, const std::string& move_id) {
  calls_.push_back("LowerFence " + tenant + " " + move_id);
  auto it = fences_.find(tenant);
  if (it != fences_.end() && it->second.move_id == move_id) fences_.erase(it);
  return {};
}

Status InMemoryTenantTables::DeleteThrough(const std::vector<MoveTable>& tables,
                                           const std::string& tenant) {
  if (!rows_) return {};
  Result<std::unique_ptr<ShardSession>> session = rows_->Open();
  if (!session.ok()) return session.status();
  const Value params[] = {tenant};
  for (const MoveTable& t : tables) {
    Result<ExecResult> r = (*session)->Execute(
        "DELETE FROM " + QuoteSqlIdent(t.name) + " WHERE " + QuoteSqlIdent(t.tenant_key) + " = $1",
        params, nullptr);
    if (!r.ok()) return r.status();
  }
  return {};
}

Status InMemoryTenantTables::Purge(const std::vector<MoveTable>& tables,
                                   const std::string& tenant) {
  calls_.push_back("Purge " + tenant + " " + Names(tables));
  DOMICILE_RETURN_IF_ERROR(DeleteThrough(tables, tenant));
  fences_.erase(tenant);
  return {};
}

Status InMemoryTenantTables::DeleteRows(const std::vector<MoveTable>& tables,
                                        const std::string& tenant) {
  calls_.push_back("DeleteRows " + tenant + " " + Names(tables));
  return DeleteThrough(tables, tenant);
}

}  // namespace domicile::testing
