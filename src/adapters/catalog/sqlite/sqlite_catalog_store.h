// SqliteCatalogStore: the embedded default catalog, one SQLite file shared by routers and admins.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/catalog/sqlite/sqlite_handle.h"
#include "ports/catalog_store.h"

namespace domicile {

// The catalog in one SQLite file (WAL journal, synchronous=FULL, foreign keys on).
//
// Durability: synchronous=FULL fsyncs the WAL at every COMMIT, so a Commit that returned OK
// survives power loss; NORMAL could lose the last commits, which would let two routers disagree
// about a version number that was already handed out.
//
// Concurrency: safe from any number of threads and processes. Each instance holds one reader
// and one writer connection, each behind its own mutex, so a long Load never delays a Commit
// (WAL readers see a snapshot and do not block the writer). Across processes, Commit takes the
// file's write lock with BEGIN IMMEDIATE and re-reads the version under it: of two writers at
// version N exactly one wins. busy_timeout (5 s) makes concurrent writers queue; a writer that
// still cannot get the lock gets kUnavailable.
class SqliteCatalogStore final : public CatalogStore {
 public:
  // Opens the catalog at `path`, creating the file (never its directory) and migrating the
  // schema. kUnavailable when the file cannot be opened or created (missing directory,
  // permissions); kCorrupt "PATH is not a domicile catalog" for a file that is not one (it
  // is left untouched); kInvalidArgument for a catalog written by a newer domicile.
  static Result<std::unique_ptr<SqliteCatalogStore>> Open(const std::string& path);

  // Load reads everything in one read transaction (a consistent snapshot) and validates it
  // with ShardMap::Build: kCorrupt when the rows break a catalog invariant.
  Result<ShardMap> Load() override;
  Result<uint64_t> CurrentVersion() override;
  // Writes exactly change.effective in one BEGIN IMMEDIATE transaction. kInvalidArgument when
  // change.map.version() != expected_version + 1; kConflict when the file is no longer at
  // expected_version; on any failure the transaction is rolled back.
  Status Commit(uint64_t expected_version, const AppliedChange& change,
                const std::string& reason) override;
  Result<std::vector<ChangeRecord>> ChangesSince(uint64_t after_version, size_t limit) override;
  // A SqliteCatalogWatch on this file: sees commits of every process on this machine.
  Result<std::unique_ptr<CatalogChangeWatch>> WatchChanges() override;

  // Test only: called inside Commit's transaction after each effective operation is written,
  // with the count written so far (1, 2, ...). Lets a test kill the process mid-commit.
  void SetCommitHookForTesting(std::function<void(int step)> hook);

  const std::string& path() const { return path_; }

  // Only Open can make one (a passkey, so Open can use make_unique).
  class Key {
    friend class SqliteCatalogStore;
    Key() = default;
  };
  SqliteCatalogStore(Key, std::string path, sqlite::Db reader, sqlite::Db writer);

 private:
  std::string path_;
  std::mutex read_mu_;  // guards reader_
  sqlite::Db reader_;
  // CurrentVersion's query, prepared on first use and kept: routers poll it (every
  // catalog_ttl after a change), and preparing it each time was most of what a poll cost.
  std::optional<sqlite::Stmt> version_query_;
  std::mutex write_mu_;  // guards writer_ and commit_hook_
  sqlite::Db writer_;
  std::function<void(int)> commit_hook_;
};

}  // namespace domicile
