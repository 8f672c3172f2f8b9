// Builds the TenantMover for a move by the engines of its two shards.
#pragma once

#include <memory>

#include "ports/catalog_store.h"
#include "ports/statement_analyzer.h"
#include "ports/tenant_mover.h"

namespace domicile::cli {

// PostgreSQL to PostgreSQL: the streaming mover. Any other pair: the generic mover over the
// storage ports, with the tenant frozen for the copy. Shards are looked up in the catalog
// when a mover is made (their addresses may change between runs).
class EngineMoverFactory final : public TenantMoverFactory {
 public:
  EngineMoverFactory(CatalogStore& catalog, RoutingRules rules);
  Result<std::unique_ptr<TenantMover>> For(const TenantMove& move) override;
  Result<std::unique_ptr<TenantMover>> Reverse(const TenantMove& move) override;
  bool CanStream(const std::string& source_shard, const std::string& target_shard) override;

 private:
  Result<std::unique_ptr<TenantMover>> Make(const TenantMove& move, bool reverse);
  CatalogStore& catalog_;
  RoutingRules rules_;
};

}  // namespace domicile::cli
