// Finds and opens the catalog (DIR/catalog.db) for a command.
#pragma once

#include <memory>
#include <string>

#include "domain/status.h"
#include "ports/catalog_store.h"

namespace domicile::cli {

std::string CatalogPath(const std::string& data_dir);

// Commands that only read never create anything: kNotFound (with a hint) when DIR/catalog.db
// does not exist. Commands that write pass `create`, which makes DIR first. A file that is
// not a catalog is kCorrupt and left untouched (SqliteCatalogStore::Open).
Result<std::unique_ptr<CatalogStore>> OpenCatalog(const std::string& data_dir, bool create);

}  // namespace domicile::cli
