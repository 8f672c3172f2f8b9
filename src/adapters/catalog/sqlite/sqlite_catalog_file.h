// Opening the catalog file: the checks, pragmas and migrations every connection to it needs.
#pragma once

#include <string>

#include "adapters/catalog/sqlite/sqlite_handle.h"
#include "domain/status.h"

namespace domicile::sqlite {

// Opens the catalog at `path` for writing, creating the file (never its directory): refuses a
// file that is not a domicile catalog (kCorrupt, the file left untouched), sets the busy
// timeout (5 s), foreign keys, synchronous=FULL and the WAL journal, and migrates the schema.
// kUnavailable when the file cannot be opened or created; kInvalidArgument for a catalog
// written by a newer domicile. Every store that writes the file opens it this way, so any of
// them may be the first to open a new file.
Result<Db> OpenCatalogWriter(const std::string& path);

// A read-only connection (query_only) with the same timeout and pragmas, on a file that
// OpenCatalogWriter has already opened.
Result<Db> OpenCatalogReader(const std::string& path);

}  // namespace domicile::sqlite
