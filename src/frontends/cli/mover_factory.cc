#include "frontends/cli/mover_factory.h"

#include "adapters/move/postgres/pg_tenant_mover.h"
#include "adapters/move/postgres/pg_tenant_tables.h"
#include "adapters/move/sqlite/sqlite_tenant_tables.h"
#include "app/generic_tenant_mover.h"
#include "frontends/cli/storage_factory.h"

namespace domicile::cli {

EngineMoverFactory::EngineMoverFactory(CatalogStore& catalog, RoutingRules rules)
    : catalog_(catalog), rules_(std::move(rules)) {}

Result<std::unique_ptr<TenantMover>> EngineMoverFactory::For(const TenantMove& move) {
  return Make(move, false);
}

Result<std::unique_ptr<TenantMover>> EngineMoverFactory::Reverse(const TenantMove& move) {
  return Make(move, true);
}

bool EngineMoverFactory::CanStream(const std::string& source_shard,
                                   const std::string& target_shard) {
  Result<ShardMap> map = catalog_.Load();
  if (!map.ok()) return false;
  const Shard* source = map->FindShard(source_shard);
  const Shard* target = map->FindShard(target_shard);
  return source && target && source->engine == Engine::kPostgres &&
         target->engine == Engine::kPostgres;
}

Result<std::unique_ptr<TenantMover>> EngineMoverFactory::Make(const TenantMove& move,
                                                              bool reverse) {
  Result<ShardMap> map = catalog_.Load();
  if (!map.ok()) return map.status();
  const Shard* source = map->FindShard(move.source_shard);
  const Shard* target = map->FindShard(move.target_shard);
  if (!source) return NotFound("unknown shard '" + move.source_shard + "'");
  if (!target) return NotFound("unknown shard '" + move.target_shard + "'");
  if (reverse) std::swap(source, target);
  std::vector<std::string> tables;
  for (const TableProgress& t : move.tables) tables.push_back(t.table);
  if (source->engine == Engine::kPostgres && target->engine == Engine::kPostgres) {
    pgmove::PgMoveContext context{reverse ? move.id + "-back" : move.id, move.tenant, *source,
                                  *target, tables, rules_};
    return std::unique_ptr<TenantMover>(
        std::make_unique<pgmove::PostgresTenantMover>(std::move(context)));
  }
  // Any other pair: rows through the storage ports, the tenant frozen for the copy.
  GenericMoveShard sides[2];
  for (int i = 0; i < 2; ++i) {
    const Shard& shard = i == 0 ? *source : *target;
    sides[i].label = pgmove::ShardLabel(shard);
    Result<std::unique_ptr<ShardStorage>> storage = MakeShardStorage(shard);
    if (!storage.ok()) return storage.status();
    sides[i].storage = std::move(*storage);
    if (shard.engine == Engine::kPostgres) {
      sides[i].tables =
          std::make_unique<pgmove::PostgresTenantTables>(shard.address, sides[i].label);
    } else {
      sides[i].tables =
          std::make_unique<sqlitemove::SqliteTenantTables>(shard.address, sides[i].label);
    }
  }
  GenericMoveContext context{reverse ? move.id + "-back" : move.id, move.tenant, tables, rules_};
  return std::unique_ptr<TenantMover>(std::make_unique<GenericTenantMover>(
      std::move(sides[0]), std::move(sides[1]), std::move(context)));
}

}  // namespace domicile::cli
