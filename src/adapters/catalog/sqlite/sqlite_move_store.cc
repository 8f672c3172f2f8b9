// SqliteMoveStore: tenant move records in the catalog's SQLite file, beside the catalog.
#include "adapters/catalog/sqlite/sqlite_move_store.h"

#include "adapters/catalog/sqlite/sqlite_catalog_file.h"
#include "adapters/catalog/sqlite/sqlite_move_rows.h"

namespace domicile {

using sqlite::Transaction;

namespace {

// Runs `read` in one read transaction, so a record and its tables come from one snapshot.
template <typename Read>
auto ReadSnapshot(sqlite::Db& db, Read read) -> decltype(read()) {
  auto txn = Transaction::Begin(db, "BEGIN");
  if (!txn.ok()) return txn.status();
  auto out = read();
  if (!out.ok()) return out.status();
  DOMICILE_RETURN_IF_ERROR(txn->Commit());
  return out;
}

}  // namespace

SqliteMoveStore::SqliteMoveStore(Key, sqlite::Db db) : db_(std::move(db)) {}

Result<std::unique_ptr<SqliteMoveStore>> SqliteMoveStore::Open(const std::string& path) {
  auto db = sqlite::OpenCatalogWriter(path);
  if (!db.ok()) return db.status();
  return std::make_unique<SqliteMoveStore>(Key(), std::move(*db));
}

Status SqliteMoveStore::Create(const TenantMove& move) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_, "BEGIN IMMEDIATE");
  if (!txn.ok()) return txn.status();
  DOMICILE_RETURN_IF_ERROR(sqlite::InsertMove(db_, move));
  return txn->Commit();
}

Status SqliteMoveStore::Save(const TenantMove& expected, const TenantMove& move) {
  if (expected.id != move.id) {
    return InvalidArgument("cannot save move " + move.id + " over move " + expected.id);
  }
  std::lock_guard<std::mutex> lock(mu_);
  // IMMEDIATE takes the file's write lock before reading the stored record, so the compare and
  // the set happen under one lock even across processes.
  auto txn = Transaction::Begin(db_, "BEGIN IMMEDIATE");
  if (!txn.ok()) return txn.status();
  auto stored = sqlite::ReadMove(db_, move.id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return NotFound("no move '" + move.id + "'");
  const TenantMove& now = **stored;
  if (now.state != expected.state || now.updated_at_ms != expected.updated_at_ms) {
    return Conflict(now.Label() + " moved on: it is " + std::string(MoveStateName(now.state)) +
                    " (updated at " + std::to_string(now.updated_at_ms) + "), not " +
                    std::string(MoveStateName(expected.state)) + " (updated at " +
                    std::to_string(expected.updated_at_ms) + ")");
  }
  DOMICILE_RETURN_IF_ERROR(sqlite::UpdateMove(db_, move));
  return txn->Commit();
}

Result<TenantMove> SqliteMoveStore::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto move = ReadSnapshot(db_, [&] { return sqlite::ReadMove(db_, id); });
  if (!move.ok()) return move.status();
  if (!move->has_value()) return NotFound("no move '" + id + "'");
  return std::move(**move);
}

Result<std::optional<TenantMove>> SqliteMoveStore::Unfinished(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadSnapshot(db_, [&] { return sqlite::ReadUnfinishedMove(db_, tenant); });
}

Result<std::vector<TenantMove>> SqliteMoveStore::List(bool include_ended) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadSnapshot(db_, [&] { return sqlite::ReadMoves(db_, include_ended); });
}

}  // namespace domicile
