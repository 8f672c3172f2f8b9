// Turns one parsed statement into a StatementDetail: kind, names, variables, session effects.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <string_view>

#include "domain/statement_info.h"
#include "ports/statement_analyzer.h"

namespace domicile::pgquery {

// Classifies `stmt` (the node of one RawStmt; null for an empty statement) whose source text
// is `text`, and finds its tenant references under `rules`. Leaves detail.text and
// detail.hint to the caller. Pure: safe to call from any thread.
StatementDetail ClassifyStatement(const PgQuery__Node* stmt, std::string_view text,
                                  const RoutingRules& rules);

// True for variables the router owns ("domicile.*", any case): never forwarded to a shard.
bool IsRouterVariable(std::string_view name);

}  // namespace domicile::pgquery
