// Opening the catalog file: the checks, pragmas and migrations every connection to it needs.
#include "adapters/catalog/sqlite/sqlite_catalog_file.h"

#include <filesystem>
#include <system_error>

#include "adapters/catalog/sqlite/sqlite_catalog_schema.h"

namespace domicile::sqlite {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// Waits up to kBusyTimeoutMs for another connection's lock instead of failing at once.
Status SetBusyTimeout(Db& db) {
  int rc = sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  if (rc != SQLITE_OK) return ErrorStatus(rc, "catalog " + db.path(), db.ErrorMessage());
  return Status::Ok();
}

// Per-connection settings. Preparing any statement reads the file's schema, so on a file that
// is not a catalog this must come after CheckIsCatalog (which says so clearly).
//
// synchronous=FULL fsyncs the WAL at every COMMIT, so a commit that returned OK survives power
// loss; NORMAL could lose the last commits, which would let two routers disagree about a
// version number that was already handed out.
Status ConfigureConnection(Db& db) {
  return db.Exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL");
}

// WAL lets readers run beside a writer. It is a property of the file, so it is set only once
// the file is known to be ours (it rewrites the header).
Status EnableWal(Db& db) {
  auto stmt = Stmt::Prepare(db, "PRAGMA journal_mode = WAL");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row || stmt->Text(0) != "wal") {
    return Unavailable("catalog " + db.path() + ": cannot use the WAL journal here (got '" +
                       std::string(*row ? stmt->Text(0) : "") + "')");
  }
  return Status::Ok();
}

}  // namespace

Result<Db> OpenCatalogWriter(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return Unavailable("cannot create catalog " + path + ": directory " + parent.string() +
                       " does not exist");
  }
  auto db = Db::Open(path, /*create=*/true);
  if (!db.ok()) return db.status();
  DOMICILE_RETURN_IF_ERROR(SetBusyTimeout(*db));
  DOMICILE_RETURN_IF_ERROR(CheckIsCatalog(*db));
  DOMICILE_RETURN_IF_ERROR(ConfigureConnection(*db));
  DOMICILE_RETURN_IF_ERROR(EnableWal(*db));
  DOMICILE_RETURN_IF_ERROR(Migrate(*db));
  return db;
}

Result<Db> OpenCatalogReader(const std::string& path) {
  auto db = Db::Open(path, /*create=*/false);
  if (!db.ok()) return db.status();
  DOMICILE_RETURN_IF_ERROR(SetBusyTimeout(*db));
  DOMICILE_RETURN_IF_ERROR(ConfigureConnection(*db));
  // The reader never writes; make a bug that tries fail loudly.
  DOMICILE_RETURN_IF_ERROR(db->Exec("PRAGMA query_only = ON"));
  return db;
}

}  // namespace domicile::sqlite
