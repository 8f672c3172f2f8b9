// Builds the ShardStorage adapter that reaches a shard, by its engine.
#pragma once

#include <memory>

#include "domain/shard.h"
#include "domain/status.h"
#include "ports/shard_storage.h"

namespace domicile::cli {

// A PostgresShardStorage for a postgres shard (address = DSN), a SqliteShardStorage for a
// sqlite one (address = file). Connects lazily: reachability shows at ShardStorage::Open.
Result<std::unique_ptr<ShardStorage>> MakeShardStorage(const Shard& shard);

}  // namespace domicile::cli
