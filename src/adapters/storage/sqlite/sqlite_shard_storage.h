// SqliteShardStorage: a shard kept in one SQLite file (WAL mode), for single-node deployments.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "ports/shard_storage.h"

namespace domicile {

struct SqliteShardStorageOptions {
  // How long a statement waits for another connection's lock before failing kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
};

// Every Open() is a new SQLite connection to `path`; the file is created if missing, but its
// directory must exist. Connections run in WAL mode with foreign keys on.
//
// Semantics shared with PostgresShardStorage (the contract suite holds both to them):
// $1..$n parameters; PostgreSQL command tags; a statement error inside a transaction aborts
// it (later statements fail until Rollback/Commit, and Commit then rolls back and fails);
// Commit/Rollback outside a transaction succeed. Differences: column types come from the
// declared type (BOOLEAN -> kBool, INTEGER -> kInt64, ...) or, for expressions, from the first
// row's value; engine_type_id is 0. Write-write conflicts between open transactions surface
// as kConflict (retry the transaction) or, after busy_timeout, kUnavailable.
//
// Thread safety: Open() may be called from any thread; each session is used by one thread at
// a time.
class SqliteShardStorage final : public ShardStorage {
 public:
  explicit SqliteShardStorage(std::string path, SqliteShardStorageOptions options = {});

  // kUnavailable when the directory is missing or the file cannot be opened; kCorrupt when
  // the file is not an SQLite database; kInvalidArgument for an empty path.
  Result<std::unique_ptr<ShardSession>> Open() override;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  SqliteShardStorageOptions options_;
};

}  // namespace domicile
