// SqliteSession: one SQLite connection behind the ShardSession port (adapter-internal).
#pragma once

#include <memory>
#include <string_view>

#include "ports/shard_storage.h"

struct sqlite3;

namespace domicile {

// Maps an SQLite result code (extended codes on) and the connection's message to a Status.
Status SqliteStatus(sqlite3* db, int rc);

// Owns an open connection. Not thread-safe (see ShardSession).
class SqliteSession final : public ShardSession {
 public:
  explicit SqliteSession(sqlite3* db);
  ~SqliteSession() override;

  Result<ExecResult> Execute(std::string_view sql, std::span<const Value> params,
                             RowSink* sink) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  Result<ExecResult> Run(std::string_view sql, std::span<const Value> params, RowSink* sink);
  bool InTransaction() const;

  std::unique_ptr<sqlite3, Closer> db_;
  // Set when a statement failed inside a transaction: PostgreSQL's "aborted" state.
  bool aborted_ = false;
};

}  // namespace domicile
