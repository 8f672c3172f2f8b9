// SqliteMoveStore: tenant move records in the catalog's SQLite file, beside the catalog.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/catalog/sqlite/sqlite_handle.h"
#include "ports/move_store.h"

namespace domicile {

// Move records in the tables tenant_move and tenant_move_table of the catalog file, with the
// same durability as the catalog (WAL, synchronous=FULL: a write that returned OK survives
// power loss).
//
// Concurrency: safe from any number of threads and processes. One connection behind one
// mutex (moves are written once per saga step, so there is nothing to gain from a second
// one). Create and Save run in BEGIN IMMEDIATE, so the compare-and-set and the unique index on
// unfinished moves hold across processes; busy_timeout (5 s) makes writers queue, and one
// that still cannot get the lock gets kUnavailable. Get and List read one snapshot.
class SqliteMoveStore final : public MoveStore {
 public:
  // Opens the catalog file at `path`, creating and migrating it exactly as
  // SqliteCatalogStore::Open does (either may open a new file first), with the same errors.
  static Result<std::unique_ptr<SqliteMoveStore>> Open(const std::string& path);

  // Create and Save also refuse, with kInvalidArgument and nothing written, a record that lists
  // a table twice. Save refuses a `move` whose id is not `expected`'s.
  Status Create(const TenantMove& move) override;
  Status Save(const TenantMove& expected, const TenantMove& move) override;
  // Rows no TenantMove could have written (an unknown state word...) are kCorrupt.
  Result<TenantMove> Get(const std::string& id) override;
  Result<std::optional<TenantMove>> Unfinished(const std::string& tenant) override;
  // Ties on planned_at_ms come in id order.
  Result<std::vector<TenantMove>> List(bool include_ended) override;

  const std::string& path() const { return db_.path(); }

  // Only Open can make one (a passkey, so Open can use make_unique).
  class Key {
    friend class SqliteMoveStore;
    Key() = default;
  };
  SqliteMoveStore(Key, sqlite::Db db);

 private:
  std::mutex mu_;  // guards db_
  sqlite::Db db_;
};

}  // namespace domicile
