// Per-tenant fences on a PostgreSQL shard: a fence table and a write check on each of the
// tenant's tables, so that once a tenant has moved away nobody (a stale router, a direct
// client) can write its rows there any more.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/move/postgres/pg_link.h"
#include "ports/tenant_mover.h"

namespace domicile::pgmove {

// SQLSTATE of a write refused by a fence (object_not_in_prerequisite_state).
inline constexpr const char* kFencedSqlState = "55000";

// Creates domicile_fence and the check function, and a BEFORE INSERT/UPDATE/DELETE row
// trigger on each table. Each checked write takes a shared per-tenant advisory lock for the
// rest of its transaction, then looks for a fence row of its tenant: a fence that waits for
// the exclusive lock therefore waits exactly for the tenant's in-flight writers. Sessions
// with `domicile.fence_bypass = on` (domicile's own copy and apply) are not checked.
Status InstallFenceChecks(PgLink& link, const std::vector<MoveTable>& tables);

// Writes the fence row (tenant, epoch, move id), then waits up to `wait` for the tenant's
// in-flight writers. On timeout the fence row is removed again and kUnavailable returned.
Status RaiseFence(PgLink& link, const std::vector<MoveTable>& tables, const std::string& tenant,
                  uint64_t epoch, const std::string& move_id, std::chrono::milliseconds wait);

// Writes the tenant's fence row unfenced, before anything is copied: raising the fence is
// then an update of it, which a REPEATABLE READ transaction older than the fence cannot miss.
Status PrepareFence(PgLink& link, const std::string& tenant, const std::string& move_id);

// Lowers the tenant's fence if this move raised it (the row stays, unfenced).
Status LowerFence(PgLink& link, const std::string& tenant, const std::string& move_id);

// Deletes the tenant's rows (bypassing the fence) and its fence row in one transaction, then
// drops the write checks when no fence remains on the shard.
Status PurgeTenant(PgLink& link, const std::vector<MoveTable>& tables, const std::string& tenant);

// "DELETE FROM t WHERE key = 'x'" for every table, bypassing fences: for the caller's
// transaction.
std::string DeleteTenantRowsSql(const std::vector<MoveTable>& tables, const std::string& tenant);

}  // namespace domicile::pgmove
