// CatalogChange: the only way a new catalog version comes to be, as a list of operations.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "domain/jurisdiction.h"
#include "domain/status.h"
#include "domain/shard.h"
#include "domain/tenant.h"

namespace domicile {

// Creates the jurisdiction or replaces its name and regions.
struct PutJurisdiction { Jurisdiction jurisdiction; };
// Creates the shard or replaces its fields (the jurisdiction is derived, not taken).
struct PutShard { Shard shard; };
struct SetShardState { std::string shard_id; ShardState state; };
// Creates the tenant or replaces its allowed jurisdictions, home shard and state. The
// tenant's version is assigned by ShardMap, not taken from here.
struct PutTenant { Tenant tenant; };
struct SetTenantState { std::string tenant_id; TenantState state; };
struct RemoveTenant { std::string tenant_id; };

using CatalogOp =
    std::variant<PutJurisdiction, PutShard, SetShardState, PutTenant, SetTenantState, RemoveTenant>;

// Operations applied in order, all or nothing.
struct CatalogChange {
  std::vector<CatalogOp> ops;
  std::string reason;  // free text kept in the change log ("catalog apply demo.toml")
};

// One reason a change cannot be applied; `op_index` says which operation (so a topology file
// can point at a line).
struct Problem {
  size_t op_index = 0;
  StatusCode code = StatusCode::kInvalidArgument;
  std::string message;
};

// A short human description of an operation, for the change log and error messages.
std::string DescribeOp(const CatalogOp& op);

}  // namespace domicile
