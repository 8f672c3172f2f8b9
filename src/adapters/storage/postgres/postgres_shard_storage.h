// PostgresShardStorage: a shard that is one PostgreSQL database, reached through libpq.
#pragma once

#include <memory>
#include <string>

#include "ports/shard_storage.h"

namespace domicile {

struct PostgresShardStorageOptions {
  // libpq's connect_timeout when the DSN sets none (libpq treats values below 2 as 2).
  int connect_timeout_seconds = 5;
  std::string application_name = "domicile";
};

// Every Open() is a new libpq connection built from `dsn` (keyword/value or URI form; its own
// settings win over the options). Sessions speak UTF-8 and use text-format results.
//
// Types: bool -> kBool; int2/int4/int8/oid -> kInt64; float4/float8 -> kFloat64; bytea ->
// kBytes; everything else (numeric, text, varchar, name, date, json...) -> kText;
// engine_type_id is the type OID. Parameters go as text with the type left to the server,
// except Bytes, sent as binary bytea.
//
// Errors carry the server's message prefixed by its SQLSTATE ("[23505] duplicate key ...").
// unique violation -> kAlreadyExists; other integrity and SQL errors -> kInvalidArgument;
// serialization failure/deadlock -> kConflict; a lost or refused connection -> kUnavailable
// (a session whose connection broke stays broken: open a new one).
//
// Thread safety: Open() may be called from any thread; each session by one thread at a time.
class PostgresShardStorage final : public ShardStorage {
 public:
  explicit PostgresShardStorage(std::string dsn, PostgresShardStorageOptions options = {});

  // kInvalidArgument when the DSN does not parse; kUnavailable, with libpq's message naming
  // the host and port, when the server cannot be reached or refuses the connection.
  Result<std::unique_ptr<ShardSession>> Open() override;

 private:
  std::string dsn_;
  PostgresShardStorageOptions options_;
};

}  // namespace domicile
