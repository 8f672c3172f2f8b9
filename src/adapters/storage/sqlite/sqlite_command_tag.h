// Command tags for SQLite statements, named the way PostgreSQL names them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace domicile {

// The statement's kind as it appears in a PostgreSQL command tag, read from the leading
// keywords: "SELECT", "INSERT" (also REPLACE), "UPDATE", "DELETE", "CREATE TABLE",
// "DROP INDEX", "BEGIN", "COMMIT", ... A WITH statement takes the kind of its main verb;
// VALUES is a SELECT. "" for an empty statement. Comments and quoted text are skipped.
std::string StatementKind(std::string_view sql);

// True for the kinds whose tag carries a row count that means "rows changed".
bool IsDmlKind(std::string_view kind);

// "INSERT 0 n", "UPDATE n", "DELETE n", "SELECT n"; any other kind is its own tag.
std::string CommandTag(std::string_view kind, int64_t count);

}  // namespace domicile
