// The engine switch from a catalog Shard to its storage adapter.
#include "frontends/cli/storage_factory.h"

#include "adapters/storage/postgres/postgres_shard_storage.h"
#include "adapters/storage/sqlite/sqlite_shard_storage.h"

namespace domicile::cli {

Result<std::unique_ptr<ShardStorage>> MakeShardStorage(const Shard& shard) {
  switch (shard.engine) {
    case Engine::kPostgres:
      return std::unique_ptr<ShardStorage>(std::make_unique<PostgresShardStorage>(shard.address));
    case Engine::kSqlite:
      return std::unique_ptr<ShardStorage>(std::make_unique<SqliteShardStorage>(shard.address));
  }
  return Internal("shard " + shard.id + " has an engine this build cannot reach");
}

}  // namespace domicile::cli
