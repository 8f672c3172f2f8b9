// PostgresSession: one libpq connection behind the ShardSession port (adapter-internal).
#pragma once

#include <memory>
#include <string_view>

#include "ports/shard_storage.h"

struct pg_conn;

namespace domicile {

// Owns an open connection. Not thread-safe (see ShardSession).
class PostgresSession final : public ShardSession {
 public:
  explicit PostgresSession(pg_conn* conn);
  ~PostgresSession() override;

  Result<ExecResult> Execute(std::string_view sql, std::span<const Value> params,
                             RowSink* sink) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;

 private:
  struct Finisher {
    void operator()(pg_conn* conn) const;
  };
  // kUnavailable naming the server when the connection is gone, else ok.
  Status CheckConnection() const;

  std::unique_ptr<pg_conn, Finisher> conn_;
};

}  // namespace domicile
