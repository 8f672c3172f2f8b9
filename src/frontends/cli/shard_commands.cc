// `domicile shard add|list|drain`.
#include <filesystem>
#include <iostream>
#include <memory>

#include "app/catalog_service.h"
#include "domain/ids.h"
#include "frontends/cli/catalog_access.h"
#include "frontends/cli/command.h"
#include "frontends/cli/views.h"

namespace domicile::cli {
namespace {

struct AddOptions {
  std::string data_dir = kDefaultDataDir;
  std::string id;
  std::string engine;
  std::string region;
  std::string dsn;
  std::string path;
  uint32_t weight = 100;
  uint32_t capacity = 0;
};

struct ListOptions {
  std::string data_dir = kDefaultDataDir;
  bool json = false;
};

struct DrainOptions {
  std::string data_dir = kDefaultDataDir;
  std::string id;
};

Status RunAdd(const AddOptions& opts) {
  Shard shard;
  shard.id = opts.id;
  shard.engine = *ParseEngine(opts.engine);  // CLI11 admitted only known engines
  shard.region = opts.region;
  shard.weight = opts.weight;
  shard.capacity = opts.capacity;
  if (shard.engine == Engine::kPostgres) {
    if (opts.dsn.empty()) return InvalidArgument("a postgres shard needs --dsn");
    shard.address = opts.dsn;
  } else {
    if (opts.path.empty()) return InvalidArgument("a sqlite shard needs --path");
    // Absolute, so the catalog means the same file whatever directory a router starts in.
    std::error_code ec;
    auto abs = std::filesystem::absolute(opts.path, ec);
    shard.address = (ec ? std::filesystem::path(opts.path) : abs).lexically_normal().string();
  }
  // Bad input is refused before the catalog is opened, so it never creates the data directory.
  if (auto id = NormalizeId("shard", opts.id); !id.ok()) return id.status();
  if (auto region = NormalizeRegion(opts.region); !region.ok()) return region.status();
  auto store = OpenCatalog(opts.data_dir, /*create=*/true);
  if (!store.ok()) return store.status();
  CatalogService service(**store);
  auto added = service.AddShard(shard);
  if (!added.ok()) return added.status();
  std::cout << "shard " << added->id << ": " << EngineName(added->engine) << " in " << added->region
            << " (" << added->jurisdiction << "), weight " << added->weight << ", capacity "
            << (added->capacity == 0 ? "unlimited" : std::to_string(added->capacity)) << '\n';
  return Status::Ok();
}

Status RunList(const ListOptions& opts) {
  auto store = OpenCatalog(opts.data_dir, /*create=*/false);
  if (!store.ok()) return store.status();
  auto map = (*store)->Load();
  if (!map.ok()) return map.status();
  if (opts.json) {
    nlohmann::json shards = nlohmann::json::array();
    for (const Shard* s : map->SortedShards())
      shards.push_back(ShardJson(*s, map->TenantsOn(s->id)));
    std::cout << shards.dump(2) << '\n';
  } else {
    PrintShards(std::cout, *map);
  }
  return Status::Ok();
}

Status RunDrain(const DrainOptions& opts) {
  auto store = OpenCatalog(opts.data_dir, /*create=*/false);
  if (!store.ok()) return store.status();
  auto id = NormalizeId("shard", opts.id);
  if (!id.ok()) return id.status();
  CatalogService service(**store);
  DOMICILE_RETURN_IF_ERROR(service.SetShardState(*id, ShardState::kDraining));
  auto map = (*store)->Load();
  if (!map.ok()) return map.status();
  std::cout << "shard " << *id << " is draining: it keeps serving its " << map->TenantsOn(*id)
            << " tenants and takes no new ones (catalog version " << map->version() << ")\n";
  return Status::Ok();
}

}  // namespace

void AddShardCommands(CLI::App& app, Action* action) {
  CLI::App* shard = app.add_subcommand("shard", "add, list and drain shards");
  shard->require_subcommand(1);

  auto add_opts = std::make_shared<AddOptions>();
  CLI::App* add = shard->add_subcommand("add", "declare a shard (a database holding tenants)");
  add->add_option("ID", add_opts->id, "shard id, e.g. eu-3")->required();
  add->add_option("--engine", add_opts->engine, "postgres or sqlite")
      ->required()
      ->check(CLI::IsMember({"postgres", "sqlite"}));
  add->add_option("--region", add_opts->region, "cloud region, e.g. aws:eu-central-1")->required();
  auto* dsn = add->add_option("--dsn", add_opts->dsn, "libpq connection string (postgres)");
  auto* path = add->add_option("--path", add_opts->path, "database file (sqlite)");
  dsn->excludes(path);
  add->add_option("--weight", add_opts->weight, "relative share of new tenants (>= 1)")
      ->check(CLI::Range(1u, 0xFFFFFFFFu))
      ->capture_default_str();
  add->add_option("--capacity", add_opts->capacity, "most tenants it may hold (0: no limit)")
      ->capture_default_str();
  AddDataOption(add, &add_opts->data_dir);
  add->callback([action, add_opts] { *action = [add_opts] { return RunAdd(*add_opts); }; });

  auto list_opts = std::make_shared<ListOptions>();
  CLI::App* list = shard->add_subcommand("list", "shards with their tenant counts");
  list->add_flag("--json", list_opts->json, "print JSON");
  AddDataOption(list, &list_opts->data_dir);
  list->callback([action, list_opts] { *action = [list_opts] { return RunList(*list_opts); }; });

  auto drain_opts = std::make_shared<DrainOptions>();
  CLI::App* drain =
      shard->add_subcommand("drain", "stop placing new tenants on a shard (it keeps serving)");
  drain->add_option("ID", drain_opts->id, "shard id")->required();
  AddDataOption(drain, &drain_opts->data_dir);
  drain->callback(
      [action, drain_opts] { *action = [drain_opts] { return RunDrain(*drain_opts); }; });
}

}  // namespace domicile::cli
