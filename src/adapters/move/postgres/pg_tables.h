// The tenant's tables on a PostgreSQL shard: discovery on the source, the check (or creation)
// of the same tables on the target.
#pragma once

#include <string>
#include <vector>

#include "adapters/move/postgres/pg_link.h"
#include "ports/statement_analyzer.h"
#include "ports/tenant_mover.h"

namespace domicile::pgmove {

struct PgColumn {
  std::string name;
  std::string type;  // format_type(), e.g. "character varying(20)"
  bool not_null = false;
};

struct PgTable {
  MoveTable move;  // name, tenant key, columns, key columns
  std::vector<PgColumn> columns;
  char replica_identity = 'd';  // pg_class.relreplident: d default, f full, i index, n nothing
};

// Every ordinary or partitioned user table of the shard (domicile's own tables aside) that
// has its tenant key column, sorted by name.
Result<std::vector<PgTable>> ListTenantTables(PgLink& link, const RoutingRules& rules);

// One line per problem when the target lacks a table or a column, or types differ.
// create_schema: missing tables are created like the source (columns, NOT NULL, primary
// key; not other indexes, defaults or constraints), then checked again.
Status CheckTargetTables(PgLink& source_for_errors, PgLink& target,
                         const std::vector<PgTable>& source_tables, const RoutingRules& rules,
                         bool create_schema);

// Streaming needs the tenant key in every deleted or updated row's old image: the primary
// key includes it, or the table's replica identity is FULL.
Status CheckStreamable(const std::vector<PgTable>& tables, const std::string& shard_label);

// "col1, col2" quoted, in order.
std::string ColumnList(const std::vector<std::string>& columns);

}  // namespace domicile::pgmove
