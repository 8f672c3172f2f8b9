// Mapping between catalog rows in SQLite and domain values: reading a snapshot, writing ops.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/catalog/sqlite/sqlite_handle.h"
#include "domain/catalog_change.h"
#include "domain/shard_map.h"

namespace domicile::sqlite {

// The stored catalog version (the CAS row). Call inside a transaction to pair it with writes.
Result<uint64_t> ReadVersion(Db& db);
// The same with the statement PrepareReadVersion made, for a caller that polls the version
// and keeps it prepared (reset after each use).
Result<Stmt> PrepareReadVersion(const Db& db);
Result<uint64_t> ReadVersion(Db& db, Stmt& prepared);

// Reads every row and builds the map with ShardMap::Build. The caller holds a read
// transaction so all tables come from one snapshot. One ordered pass per table: tenants and
// their allowed jurisdictions are merged from two primary-key-ordered scans.
Result<ShardMap> ReadCatalog(Db& db);

// Writes effective operations inside the caller's write transaction, with statements
// prepared once per commit. Each Put replaces the entity and its child rows entirely.
class OpWriter {
 public:
  static Result<OpWriter> Prepare(Db& db);
  OpWriter(OpWriter&&) noexcept;
  ~OpWriter();
  Status Write(const CatalogOp& op);

 private:
  OpWriter() = default;
  Status WriteJurisdiction(const Jurisdiction& j);
  Status WriteShard(const Shard& s);
  Status WriteTenant(const Tenant& t);
  Status DeleteTenant(const std::string& id);

  struct Statements;
  std::unique_ptr<Statements> s_;
};

}  // namespace domicile::sqlite
