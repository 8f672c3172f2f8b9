// RAII wrappers over sqlite3* and sqlite3_stmt* that report failures as Status, never throw.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "domain/status.h"

namespace domicile::sqlite {

// Maps an SQLite result code to our codes: busy/locked/io/cantopen -> kUnavailable,
// corrupt/notadb -> kCorrupt, anything else -> kInternal. `what` says what was attempted.
Status ErrorStatus(int rc, std::string_view what, std::string_view detail);

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

// One connection. Not thread-safe: the owner serialises calls (SQLite itself is built
// serialized, but a transaction spans several calls and must not interleave).
class Db {
 public:
  // Opens `path` read-write, creating it when `create` is set. Never creates directories.
  static Result<Db> Open(const std::string& path, bool create);

  sqlite3* get() const { return db_.get(); }
  const std::string& path() const { return path_; }
  // Runs one or more statements that return no rows we need.
  Status Exec(std::string_view sql);
  // The last error message of this connection.
  std::string ErrorMessage() const { return sqlite3_errmsg(db_.get()); }

 private:
  std::unique_ptr<sqlite3, DbCloser> db_;
  std::string path_;
};

// A prepared statement. Bind indexes are 1-based as in SQLite. Column indexes are 0-based.
class Stmt {
 public:
  static Result<Stmt> Prepare(const Db& db, std::string_view sql);

  Status Bind(int index, int64_t value);
  // Copies the text (SQLITE_TRANSIENT), so the caller's string may die before Step.
  Status Bind(int index, std::string_view value);
  // Result: true when a row is available, false when the statement is done.
  Result<bool> Step();
  // The extended result code of the last Step (SQLITE_CONSTRAINT_UNIQUE ...), for callers that
  // give one failure a meaning of their own.
  int last_code() const { return last_code_; }
  // Steps to completion, for statements that return no rows.
  Status Run();
  // Makes the statement reusable with new bindings.
  void Reset();

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  // Valid until the next Step/Reset; copy it to keep it.
  std::string_view Text(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }

 private:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Status Fail(int rc, std::string_view what) const;

  sqlite3* db_;  // not owned: the Db outlives its statements
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt_;
  int last_code_ = SQLITE_OK;
};

// A transaction that rolls back when it dies uncommitted, so every early return of a failing
// commit leaves the file as it was.
class Transaction {
 public:
  // `begin` is "BEGIN", "BEGIN IMMEDIATE" ...
  static Result<Transaction> Begin(Db& db, std::string_view begin);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;  // null once committed or rolled back
};

}  // namespace domicile::sqlite
