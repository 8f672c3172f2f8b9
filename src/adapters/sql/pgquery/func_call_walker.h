// Visits every function call in a parse tree, however deeply nested.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <functional>

namespace domicile::pgquery {

// Calls `visit` for each FuncCall node under `root` (root included), in no particular order.
// Walks through protobuf-c's descriptors, so it reaches calls in every clause (targets,
// WHERE, subqueries, CTEs, VALUES...) without a case per node type. Iterative: deep trees
// cannot overflow the stack.
void ForEachFuncCall(const PgQuery__Node* root,
                     const std::function<void(const PgQuery__FuncCall&)>& visit);

}  // namespace domicile::pgquery
