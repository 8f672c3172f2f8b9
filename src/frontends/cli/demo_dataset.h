// The demo's housing-cooperative rows: schema, seed and read-back, through the ShardStorage port.
#pragma once

#include <cstdint>
#include <string>

#include "domain/status.h"
#include "ports/shard_storage.h"

namespace domicile::cli {

// Creates cooperatives, members and payments if missing. Every row carries tenant_id in its
// primary key, so seeding again inserts nothing (ON CONFLICT DO NOTHING, valid on SQLite and
// PostgreSQL).
Status CreateDemoSchema(ShardSession& session);

// Inserts one cooperative, its members and their payments for `tenant_id`, in one
// transaction (rolled back on failure). Known demo tenants get their own names and city;
// any other id gets generic rows, so an edited demo topology still seeds.
Status SeedDemoTenant(ShardSession& session, const std::string& tenant_id);

struct DemoCounts {
  int64_t cooperatives = 0;
  int64_t members = 0;
  int64_t payments = 0;
};

// How many rows of `tenant_id` the shard behind `session` holds, per table.
Result<DemoCounts> CountDemoRows(ShardSession& session, const std::string& tenant_id);

// The display name and city of a demo cooperative ("" and "" for an unknown tenant).
std::string DemoCooperativeLabel(const std::string& tenant_id);

}  // namespace domicile::cli
