// Mapping between tenant move records and their rows: tenant_move and tenant_move_table.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapters/catalog/sqlite/sqlite_handle.h"
#include "domain/move_state.h"

namespace domicile::sqlite {

// Every function runs inside the caller's transaction (a read transaction for the readers, so
// a record and its tables come from one snapshot). Rows that no TenantMove could have written
// (an unknown state word, a flag other than 0/1, an attempt count beyond int) are kCorrupt.

// The record `id`, or nullopt.
Result<std::optional<TenantMove>> ReadMove(Db& db, const std::string& id);
// The tenant's record that is not Done/RolledBack, or nullopt.
Result<std::optional<TenantMove>> ReadUnfinishedMove(Db& db, const std::string& tenant);
// All records, newest planned_at_ms first, ties by id; without Done/RolledBack unless
// `include_ended`.
Result<std::vector<TenantMove>> ReadMoves(Db& db, bool include_ended);

// Writes a new record and its tables. kAlreadyExists when the id is taken; kConflict naming
// the tenant's other unfinished move (the unique index refused the row); kInvalidArgument when
// a table is listed twice. On failure the caller rolls back: rows may have been written.
Status InsertMove(Db& db, const TenantMove& move);
// Rewrites the record `move.id` (which must exist) and all its tables, with the same errors
// as InsertMove but kAlreadyExists.
Status UpdateMove(Db& db, const TenantMove& move);

}  // namespace domicile::sqlite
