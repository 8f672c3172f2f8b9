#include "adapters/move/postgres/pg_tables.h"

#include <algorithm>
#include <map>

namespace domicile::pgmove {
namespace {

constexpr const char* kColumnsSql = R"sql(
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       c.relreplident
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
  AND c.relname NOT LIKE 'domicile\_%'
ORDER BY n.nspname, c.relname, a.attnum)sql";

constexpr const char* kPrimaryKeySql = R"sql(
SELECT n.nspname, c.relname, a.attname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE i.indisprimary
ORDER BY n.nspname, c.relname, k.ord)sql";

std::string TableName(const std::string& schema, const std::string& table) {
  return schema == "public" ? table : schema + "." + table;
}

std::string SchemaOf(const std::string& name) {
  const size_t dot = name.find('.');
  return dot == std::string::npos ? "public" : name.substr(0, dot);
}

// Every table of the shard, with or without a tenant key.
Result<std::map<std::string, PgTable>> ListAllTables(PgLink& link) {
  Result<Rows> cols = link.Exec(kColumnsSql);
  if (!cols.ok()) return cols.status();
  std::map<std::string, PgTable> tables;
  for (size_t i = 0; i < cols->rows.size(); ++i) {
    const std::string name = TableName(cols->At(i, 0), cols->At(i, 1));
    PgTable& t = tables[name];
    t.move.name = name;
    t.replica_identity = cols->At(i, 5).empty() ? 'd' : cols->At(i, 5)[0];
    t.columns.push_back({cols->At(i, 2), cols->At(i, 3), cols->At(i, 4) == "t"});
    t.move.columns.push_back(cols->At(i, 2));
  }
  Result<Rows> keys = link.Exec(kPrimaryKeySql);
  if (!keys.ok()) return keys.status();
  for (size_t i = 0; i < keys->rows.size(); ++i) {
    auto it = tables.find(TableName(keys->At(i, 0), keys->At(i, 1)));
    if (it != tables.end()) it->second.move.key_columns.push_back(keys->At(i, 2));
  }
  return tables;
}

std::string CreateTableSql(const PgTable& t) {
  std::string sql = "CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(SchemaOf(t.move.name)) +
                    "; CREATE TABLE " + QualifiedName(t.move.name) + " (";
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) sql += ", ";
    sql += QuoteIdent(t.columns[i].name) + " " + t.columns[i].type;
    if (t.columns[i].not_null) sql += " NOT NULL";
  }
  if (!t.move.key_columns.empty()) sql += ", PRIMARY KEY (" + ColumnList(t.move.key_columns) + ")";
  return sql + ")";
}

// What differs between the source's table and the target's, one line each.
void CompareTable(const PgTable& want, const PgTable* have, const std::string& target_label,
                  std::vector<std::string>* problems) {
  if (!have) {
    problems->push_back(target_label + " has no table " + want.move.name);
    return;
  }
  for (const PgColumn& c : want.columns) {
    auto it = std::find_if(have->columns.begin(), have->columns.end(),
                           [&](const PgColumn& h) { return h.name == c.name; });
    if (it == have->columns.end()) {
      problems->push_back(target_label + ": table " + want.move.name + " has no column " + c.name +
                          " (" + c.type + ")");
    } else if (it->type != c.type) {
      problems->push_back(target_label + ": " + want.move.name + "." + c.name + " is " + it->type +
                          ", the source has " + c.type);
    }
  }
}

}  // namespace

std::string ColumnList(const std::vector<std::string>& columns) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ", ";
    out += QuoteIdent(columns[i]);
  }
  return out;
}

Result<std::vector<PgTable>> ListTenantTables(PgLink& link, const RoutingRules& rules) {
  Result<std::map<std::string, PgTable>> all = ListAllTables(link);
  if (!all.ok()) return all.status();
  std::vector<PgTable> out;
  for (auto& [name, t] : *all) {
    const size_t dot = name.find('.');
    const std::string schema = dot == std::string::npos ? "" : name.substr(0, dot);
    const std::string bare = dot == std::string::npos ? name : name.substr(dot + 1);
    const std::string& key = rules.KeyColumnFor(schema, bare);
    if (std::find(t.move.columns.begin(), t.move.columns.end(), key) == t.move.columns.end()) {
      continue;
    }
    t.move.tenant_key = key;
    out.push_back(std::move(t));
  }
  return out;
}

Status CheckTargetTables(PgLink& source_for_errors, PgLink& target,
                         const std::vector<PgTable>& source_tables, const RoutingRules& rules,
                         bool create_schema) {
  Result<std::map<std::string, PgTable>> have = ListAllTables(target);
  if (!have.ok()) return have.status();
  if (create_schema) {
    for (const PgTable& t : source_tables) {
      if (have->count(t.move.name)) continue;
      Result<Rows> made = target.Exec(CreateTableSql(t));
      if (!made.ok()) return made.status();
    }
    have = ListAllTables(target);
    if (!have.ok()) return have.status();
  }
  std::vector<std::string> problems;
  for (const PgTable& t : source_tables) {
    auto it = have->find(t.move.name);
    CompareTable(t, it == have->end() ? nullptr : &it->second, target.label(), &problems);
  }
  if (problems.empty()) return {};
  std::string message = "the target's schema does not match the source's";
  for (const std::string& p : problems) message += "\n  " + p;
  if (!create_schema) message += "\n  (--create-schema creates missing tables like the source)";
  return InvalidArgument(message);
}

Status CheckStreamable(const std::vector<PgTable>& tables, const std::string& shard_label) {
  std::vector<std::string> problems;
  for (const PgTable& t : tables) {
    if (t.replica_identity == 'f') continue;
    const auto& keys = t.move.key_columns;
    if (t.replica_identity == 'd' && !keys.empty() &&
        std::find(keys.begin(), keys.end(), t.move.tenant_key) != keys.end()) {
      continue;
    }
    problems.push_back(shard_label + ": table " + t.move.name + ": the primary key must include " +
                       t.move.tenant_key + " (or run ALTER TABLE " + QualifiedName(t.move.name) +
                       " REPLICA IDENTITY FULL) so deletes and updates name their tenant");
  }
  if (problems.empty()) return {};
  std::string message = "cannot stream this tenant's changes";
  for (const std::string& p : problems) message += "\n  " + p;
  return InvalidArgument(message);
}

}  // namespace domicile::pgmove
