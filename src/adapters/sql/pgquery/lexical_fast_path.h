// LexicalFastPath: answers for plain DML that cannot name a tenant, without parsing.
#pragma once

#include <memory>
#include <string_view>

#include "domain/statement_info.h"
#include "ports/statement_analyzer.h"

namespace domicile::pgquery {

// Simple-protocol clients send the same statement with a new literal each time (pgbench -S:
// "... WHERE aid = 4711"), so the text cache misses and every statement would be parsed
// (~30 us). Many such texts cannot carry anything the router needs: a single SELECT/INSERT/
// UPDATE/DELETE with no comment (so no hint), no "domicile" (no router variable), no tenant key
// column name anywhere (so no key reference), and none of the words that create session state
// ("temp", "advisory", SELECT ... "into"). For those the analysis is fixed: one statement of
// that kind, no tenant, no effects. Returns null when the text does not qualify (parse it).
// Deliberately conservative: any doubt means null. `table` is left empty (nothing routes on
// it for DML).
std::shared_ptr<const StatementInfo> TryLexicalFastPath(std::string_view sql,
                                                        const RoutingRules& rules);

}  // namespace domicile::pgquery
