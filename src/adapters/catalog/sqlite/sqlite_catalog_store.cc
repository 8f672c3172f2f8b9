// SqliteCatalogStore: the embedded default catalog, one SQLite file shared by routers and admins.
#include "adapters/catalog/sqlite/sqlite_catalog_store.h"

#include <chrono>
#include <limits>

#include "adapters/catalog/sqlite/sqlite_catalog_file.h"
#include "adapters/catalog/sqlite/sqlite_catalog_rows.h"
#include "adapters/catalog/sqlite/sqlite_catalog_watch.h"

namespace domicile {
namespace {

using sqlite::Db;
using sqlite::Stmt;
using sqlite::Transaction;

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Catalog ids cannot hold a newline, but the change log splits on it, so never trust that.
std::string JoinOps(const std::vector<CatalogOp>& ops) {
  std::string out;
  for (const auto& op : ops) {
    std::string line = DescribeOp(op);
    for (char& c : line) {
      if (c == '\n') c = ' ';
    }
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

std::vector<std::string> SplitOps(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

SqliteCatalogStore::SqliteCatalogStore(Key, std::string path, Db reader, Db writer)
    : path_(std::move(path)), reader_(std::move(reader)), writer_(std::move(writer)) {}

Result<std::unique_ptr<SqliteCatalogStore>> SqliteCatalogStore::Open(const std::string& path) {
  auto writer = sqlite::OpenCatalogWriter(path);
  if (!writer.ok()) return writer.status();
  auto reader = sqlite::OpenCatalogReader(path);
  if (!reader.ok()) return reader.status();
  return std::make_unique<SqliteCatalogStore>(Key(), path, std::move(*reader), std::move(*writer));
}

Result<ShardMap> SqliteCatalogStore::Load() {
  std::lock_guard<std::mutex> lock(read_mu_);
  // One read transaction: every table from the same WAL snapshot.
  auto txn = Transaction::Begin(reader_, "BEGIN");
  if (!txn.ok()) return txn.status();
  auto map = sqlite::ReadCatalog(reader_);
  if (!map.ok()) return map.status();
  DOMICILE_RETURN_IF_ERROR(txn->Commit());
  return map;
}

Result<uint64_t> SqliteCatalogStore::CurrentVersion() {
  std::lock_guard<std::mutex> lock(read_mu_);
  if (!version_query_) {
    auto prepared = sqlite::PrepareReadVersion(reader_);
    if (!prepared.ok()) return prepared.status();
    version_query_.emplace(std::move(prepared).value());
  }
  return sqlite::ReadVersion(reader_, *version_query_);
}

Result<std::unique_ptr<CatalogChangeWatch>> SqliteCatalogStore::WatchChanges() {
  auto watch = SqliteCatalogWatch::Open(path_);
  if (!watch.ok()) return watch.status();
  return std::unique_ptr<CatalogChangeWatch>(std::move(*watch));
}

Status SqliteCatalogStore::Commit(uint64_t expected_version, const AppliedChange& change,
                                  const std::string& reason) {
  if (!change.changed()) return Status::Ok();
  if (change.map.version() != expected_version + 1) {
    return InvalidArgument("catalog commit: change makes version " +
                           std::to_string(change.map.version()) + " but expects to follow " +
                           std::to_string(expected_version));
  }
  if (change.map.version() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return InvalidArgument("catalog commit: version does not fit the catalog");
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  // IMMEDIATE takes the file's write lock before reading the version, so the compare and the
  // set happen under one lock even across processes.
  auto txn = Transaction::Begin(writer_, "BEGIN IMMEDIATE");
  if (!txn.ok()) return txn.status();
  auto stored = sqlite::ReadVersion(writer_);
  if (!stored.ok()) return stored.status();
  if (*stored != expected_version) {
    return Conflict("catalog moved from version " + std::to_string(expected_version) + " to " +
                    std::to_string(*stored));
  }
  auto ops = sqlite::OpWriter::Prepare(writer_);
  if (!ops.ok()) return ops.status();
  int step = 0;
  for (const auto& op : change.effective) {
    DOMICILE_RETURN_IF_ERROR(ops->Write(op));
    if (commit_hook_) commit_hook_(++step);
  }
  auto version = static_cast<int64_t>(change.map.version());
  auto set_version = Stmt::Prepare(writer_, "UPDATE catalog_meta SET version = ?1 WHERE id = 1");
  if (!set_version.ok()) return set_version.status();
  DOMICILE_RETURN_IF_ERROR(set_version->Bind(1, version));
  DOMICILE_RETURN_IF_ERROR(set_version->Run());
  auto log = Stmt::Prepare(writer_,
                           "INSERT INTO catalog_changes (version, committed_at_ms, reason, ops) "
                           "VALUES (?1, ?2, ?3, ?4)");
  if (!log.ok()) return log.status();
  DOMICILE_RETURN_IF_ERROR(log->Bind(1, version));
  DOMICILE_RETURN_IF_ERROR(log->Bind(2, NowUnixMs()));
  DOMICILE_RETURN_IF_ERROR(log->Bind(3, reason));
  DOMICILE_RETURN_IF_ERROR(log->Bind(4, JoinOps(change.effective)));
  DOMICILE_RETURN_IF_ERROR(log->Run());
  return txn->Commit();
}

Result<std::vector<ChangeRecord>> SqliteCatalogStore::ChangesSince(uint64_t after_version,
                                                                   size_t limit) {
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  std::vector<ChangeRecord> out;
  if (limit == 0 || after_version >= kMax) return out;
  std::lock_guard<std::mutex> lock(read_mu_);
  auto stmt = Stmt::Prepare(reader_,
                            "SELECT version, committed_at_ms, reason, ops FROM catalog_changes "
                            "WHERE version > ?1 ORDER BY version LIMIT ?2");
  if (!stmt.ok()) return stmt.status();
  DOMICILE_RETURN_IF_ERROR(stmt->Bind(1, static_cast<int64_t>(after_version)));
  DOMICILE_RETURN_IF_ERROR(stmt->Bind(2, static_cast<int64_t>(std::min<uint64_t>(limit, kMax))));
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ChangeRecord rec;
    rec.version = static_cast<uint64_t>(stmt->Int(0));
    rec.committed_at_unix_ms = stmt->Int(1);
    rec.reason = stmt->Text(2);
    rec.ops = SplitOps(stmt->Text(3));
    out.push_back(std::move(rec));
  }
  return out;
}

void SqliteCatalogStore::SetCommitHookForTesting(std::function<void(int step)> hook) {
  std::lock_guard<std::mutex> lock(write_mu_);
  commit_hook_ = std::move(hook);
}

}  // namespace domicile
