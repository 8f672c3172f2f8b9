// The catalog file's schema: the "this is a domicile catalog" marker and numbered migrations.
#pragma once

#include <cstdint>

#include "adapters/catalog/sqlite/sqlite_handle.h"
#include "domain/status.h"

namespace domicile::sqlite {

// Stored in the SQLite header (PRAGMA application_id): "DOMC". A file with tables but
// without it is somebody else's database and is never touched.
inline constexpr int32_t kCatalogApplicationId = 0x444F4D43;

// The newest schema this build knows. Migrations are numbered 1..kLatestSchemaVersion.
int LatestSchemaVersion();

// Checks, without writing anything, that `db` is empty (a new file) or a domicile catalog.
// kCorrupt "FILE is not a domicile catalog (...)" otherwise, including non-SQLite files.
Status CheckIsCatalog(Db& db);

// Brings the schema up to date, one migration per transaction, recorded in
// schema_migrations(version, applied_at). Safe when several processes open a new file at once
// (each migration re-checks inside BEGIN IMMEDIATE). Writes nothing when already up to date.
// kInvalidArgument when the file comes from a newer domicile (schema above ours).
Status Migrate(Db& db);
// Migrate, stopping at `version` (tests build files an older domicile wrote).
Status MigrateTo(Db& db, int version);

// The schema version recorded in the file (0 for an empty file).
Result<int> StoredSchemaVersion(Db& db);

}  // namespace domicile::sqlite
