#include "domain/catalog_change.h"

namespace domicile {
namespace {

struct Describer {
  std::string operator()(const PutJurisdiction& op) const {
    return "put jurisdiction " + op.jurisdiction.code;
  }
  std::string operator()(const PutShard& op) const { return "put shard " + op.shard.id; }
  std::string operator()(const SetShardState& op) const {
    return "set shard " + op.shard_id + " " + std::string(ShardStateName(op.state));
  }
  std::string operator()(const PutTenant& op) const {
    return "put tenant " + op.tenant.id + " on " + op.tenant.home_shard;
  }
  std::string operator()(const SetTenantState& op) const {
    return "set tenant " + op.tenant_id + " " + std::string(TenantStateName(op.state));
  }
  std::string operator()(const RemoveTenant& op) const { return "remove tenant " + op.tenant_id; }
};

}  // namespace

std::string DescribeOp(const CatalogOp& op) { return std::visit(Describer{}, op); }

}  // namespace domicile
