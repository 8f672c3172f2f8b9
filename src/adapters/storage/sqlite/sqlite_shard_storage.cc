// SqliteShardStorage: opens and configures one SQLite connection per session.
#include "adapters/storage/sqlite/sqlite_shard_storage.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>

#include "adapters/storage/sqlite/sqlite_session.h"

namespace domicile {
namespace {

// Runs a PRAGMA and returns its first column as text ("" when it returns no row).
Result<std::string> Pragma(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(db, rc);
  rc = sqlite3_step(stmt);
  std::string value;
  if (rc == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text != nullptr) value = reinterpret_cast<const char*>(text);
    rc = SQLITE_DONE;
  }
  Status status = rc == SQLITE_DONE ? Status::Ok() : SqliteStatus(db, rc);
  sqlite3_finalize(stmt);
  if (!status.ok()) return status;
  return value;
}

}  // namespace

SqliteShardStorage::SqliteShardStorage(std::string path, SqliteShardStorageOptions options)
    : path_(std::move(path)), options_(options) {}

Result<std::unique_ptr<ShardSession>> SqliteShardStorage::Open() {
  if (path_.empty()) return InvalidArgument("sqlite shard: empty file path");
  std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return Unavailable("sqlite shard " + path_ + ": directory " + parent.string() +
                       " does not exist");
  }
  sqlite3* raw = nullptr;
  // NOMUTEX: a session is used by one thread at a time, so SQLite's own locking is not needed.
  int rc =
      sqlite3_open_v2(path_.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // The session owns the handle from here on, even on failure, so it is always closed.
  auto session = std::make_unique<SqliteSession>(raw);
  auto fail = [this](const Status& st) {
    return Status(st.code(), "sqlite shard " + path_ + ": " + st.message());
  };
  if (rc != SQLITE_OK) return fail(SqliteStatus(raw, rc));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(options_.busy_timeout.count()));
  // Switching a new file to WAL needs its exclusive lock, and SQLite answers BUSY at once,
  // without the busy handler, to sessions opening the file meanwhile: they retry until
  // busy_timeout, as the handler would have waited (several worker threads open together).
  const auto deadline = std::chrono::steady_clock::now() + options_.busy_timeout;
  Result<std::string> journal = Pragma(raw, "PRAGMA journal_mode=WAL");
  while (!journal.ok() && (sqlite3_extended_errcode(raw) & 0xff) == SQLITE_BUSY &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    journal = Pragma(raw, "PRAGMA journal_mode=WAL");
  }
  if (!journal.ok()) return fail(journal.status());
  if (*journal != "wal")
    return fail(Unavailable("cannot use WAL mode (journal_mode=" + *journal + ")"));
  Result<std::string> fk = Pragma(raw, "PRAGMA foreign_keys=ON");
  if (!fk.ok()) return fail(fk.status());
  return std::unique_ptr<ShardSession>(std::move(session));
}

}  // namespace domicile
