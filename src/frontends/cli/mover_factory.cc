#include "frontends/cli/mover_factory.h"

#include "adapters/move/postgres/pg_tenant_mover.h"

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
  return InvalidArgument("moves from " + std::string(EngineName(source->engine)) + " to " +
                         std::string(EngineName(target->engine)) + " shards are not supported yet");
}

}  // namespace domicile::cli
