// `domicile catalog apply FILE` and `domicile catalog show [--json]`.
#include <iostream>
#include <memory>

#include "adapters/topology/toml_topology_loader.h"
#include "app/catalog_service.h"
#include "frontends/cli/catalog_access.h"
#include "frontends/cli/command.h"
#include "frontends/cli/views.h"

namespace domicile::cli {
namespace {

struct ApplyOptions {
  std::string data_dir = kDefaultDataDir;
  std::string file;
};

struct ShowOptions {
  std::string data_dir = kDefaultDataDir;
  bool json = false;
};

// The file is read and checked before the catalog is opened, so a malformed file writes
// nothing, not even the data directory.
Status RunApply(const ApplyOptions& opts) {
  auto topology = LoadTopologyFile(opts.file);
  if (!topology.ok()) return topology.status();
  auto store = OpenCatalog(opts.data_dir, /*create=*/true);
  if (!store.ok()) return store.status();
  CatalogService service(**store);
  auto report = service.ApplyTopology(*topology);
  if (!report.ok()) return report.status();
  if (report->changes.empty()) {
    std::cout << opts.file << ": no changes (catalog version " << report->new_version << ")\n";
    return Status::Ok();
  }
  std::cout << opts.file << ": catalog version " << report->old_version << " -> "
            << report->new_version << " (" << report->changes.size() << " changes)\n";
  for (const auto& change : report->changes) std::cout << "  " << change << '\n';
  return Status::Ok();
}

Status RunShow(const ShowOptions& opts) {
  auto store = OpenCatalog(opts.data_dir, /*create=*/false);
  if (!store.ok()) return store.status();
  auto map = (*store)->Load();
  if (!map.ok()) return map.status();
  if (opts.json) {
    std::cout << CatalogJson(*map).dump(2) << '\n';
    return Status::Ok();
  }
  std::cout << "catalog version " << map->version() << " (" << CatalogPath(opts.data_dir)
            << ")\n\njurisdictions\n";
  std::vector<std::vector<std::string>> rows = {{"CODE", "NAME", "REGIONS"}};
  for (const auto& j : map->jurisdictions())
    rows.push_back({j.code, j.name, Join(j.regions, ", ")});
  PrintTable(std::cout, rows);
  std::cout << "\nshards\n";
  PrintShards(std::cout, *map);
  std::cout << "\ntenants\n";
  PrintTenants(std::cout, *map);
  return Status::Ok();
}

}  // namespace

void AddCatalogCommands(CLI::App& app, Action* action) {
  CLI::App* catalog = app.add_subcommand("catalog", "apply a topology file, show the catalog");
  catalog->require_subcommand(1);

  auto apply_opts = std::make_shared<ApplyOptions>();
  CLI::App* apply = catalog->add_subcommand(
      "apply", "make the catalog match a topology file (idempotent, all or nothing)");
  apply->add_option("FILE", apply_opts->file, "topology file (TOML)")->required();
  AddDataOption(apply, &apply_opts->data_dir);
  apply->callback(
      [action, apply_opts] { *action = [apply_opts] { return RunApply(*apply_opts); }; });

  auto show_opts = std::make_shared<ShowOptions>();
  CLI::App* show = catalog->add_subcommand("show", "jurisdictions, shards and tenants");
  show->add_flag("--json", show_opts->json, "print JSON");
  AddDataOption(show, &show_opts->data_dir);
  show->callback([action, show_opts] { *action = [show_opts] { return RunShow(*show_opts); }; });
}

}  // namespace domicile::cli
