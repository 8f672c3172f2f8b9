// Opening the embedded SQLite catalog under the data directory.
#include "frontends/cli/catalog_access.h"

#include <filesystem>
#include <system_error>

#include "adapters/catalog/sqlite/sqlite_catalog_store.h"

namespace domicile::cli {

namespace fs = std::filesystem;

std::string CatalogPath(const std::string& data_dir) {
  return (fs::path(data_dir) / "catalog.db").string();
}

Result<std::unique_ptr<CatalogStore>> OpenCatalog(const std::string& data_dir, bool create) {
  std::string path = CatalogPath(data_dir);
  std::error_code ec;
  if (create) {
    fs::create_directories(data_dir, ec);
    if (ec) return Unavailable("cannot create data directory " + data_dir + ": " + ec.message());
  } else if (!fs::exists(path, ec)) {
    return NotFound("no catalog at " + path +
                    " (run `domicile catalog apply FILE` or `domicile demo` first, or pass "
                    "--data DIR)");
  }
  auto store = SqliteCatalogStore::Open(path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<CatalogStore>(std::move(store).value());
}

}  // namespace domicile::cli
