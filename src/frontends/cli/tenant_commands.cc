// `domicile tenant add|show` and `domicile where TENANT`.
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
  std::vector<std::string> allow;
  std::string shard;  // empty: placement chooses
};

struct LookupOptions {
  std::string data_dir = kDefaultDataDir;
  std::string id;
  bool json = false;
};

Status RunAdd(const AddOptions& opts) {
  std::vector<std::string> allow;
  for (const auto& code : opts.allow) {
    if (!code.empty()) allow.push_back(code);  // `--allow ""` means none: residency refuses it
  }
  std::optional<std::string> shard;
  if (!opts.shard.empty()) shard = opts.shard;
  // Bad input is refused before the catalog is opened, so it never creates the data directory.
  if (auto id = NormalizeId("tenant", opts.id); !id.ok()) return id.status();
  auto store = OpenCatalog(opts.data_dir, /*create=*/true);
  if (!store.ok()) return store.status();
  CatalogService service(**store);
  auto tenant = service.AddTenant(opts.id, allow, shard);
  if (!tenant.ok()) return tenant.status();
  std::cout << "tenant " << tenant->id << " on shard " << tenant->home_shard
            << (shard ? " (as asked)" : " (placed)") << ", allows " << Join(tenant->allowed, ",")
            << '\n';
  return Status::Ok();
}

// The tenant's route in the current catalog; prints nothing.
Status Lookup(const LookupOptions& opts, ShardMap* map, Route* route) {
  auto id = NormalizeId("tenant", opts.id);
  if (!id.ok()) return id.status();
  auto store = OpenCatalog(opts.data_dir, /*create=*/false);
  if (!store.ok()) return store.status();
  auto loaded = (*store)->Load();
  if (!loaded.ok()) return loaded.status();
  *map = std::move(loaded).value();
  auto resolved = map->Resolve(*id);
  if (!resolved.ok()) return resolved.status();
  *route = *resolved;
  return Status::Ok();
}

Status RunShow(const LookupOptions& opts) {
  ShardMap map;
  Route route;
  DOMICILE_RETURN_IF_ERROR(Lookup(opts, &map, &route));
  const Tenant& t = *route.tenant;
  const Shard& s = *route.shard;
  if (opts.json) {
    nlohmann::json out = TenantJson(t);
    out["home"] = ShardJson(s, map.TenantsOn(s.id));
    out["catalog_version"] = map.version();
    std::cout << out.dump(2) << '\n';
    return Status::Ok();
  }
  PrintTable(std::cout,
             {{"tenant", t.id},
              {"allow", Join(t.allowed, ",")},
              {"state", std::string(TenantStateName(t.state))},
              {"version", std::to_string(t.version)},
              {"shard", s.id},
              {"engine", std::string(EngineName(s.engine))},
              {"region", s.region},
              {"jurisdiction", s.jurisdiction},
              {"shard state", std::string(ShardStateName(s.state))},
              {"address", DisplayAddress(s)}},
             "");
  return Status::Ok();
}

Status RunWhere(const LookupOptions& opts) {
  ShardMap map;
  Route route;
  DOMICILE_RETURN_IF_ERROR(Lookup(opts, &map, &route));
  const Shard& s = *route.shard;
  if (opts.json) {
    std::cout << nlohmann::json{{"tenant", route.tenant->id},
                                {"shard", s.id},
                                {"region", s.region},
                                {"jurisdiction", s.jurisdiction},
                                {"engine", EngineName(s.engine)},
                                {"catalog_version", map.version()}}
                     .dump(2)
              << '\n';
  } else {
    std::cout << route.tenant->id << ": shard " << s.id << ", region " << s.region
              << ", jurisdiction " << s.jurisdiction << ", engine " << EngineName(s.engine) << '\n';
  }
  return Status::Ok();
}

}  // namespace

void AddTenantCommands(CLI::App& app, Action* action) {
  CLI::App* tenant = app.add_subcommand("tenant", "add, show and move tenants");
  tenant->require_subcommand(1);
  AddMoveCommands(*tenant, action);

  auto add_opts = std::make_shared<AddOptions>();
  CLI::App* add = tenant->add_subcommand(
      "add", "add a tenant: on --shard, or placed on the least loaded allowed shard");
  add->add_option("ID", add_opts->id, "tenant id, e.g. coop-lisboa")->required();
  add->add_option("--allow", add_opts->allow, "allowed jurisdictions, e.g. EU,BR")
      ->required()
      ->delimiter(',');
  add->add_option("--shard", add_opts->shard, "home shard (must lie in an allowed jurisdiction)");
  AddDataOption(add, &add_opts->data_dir);
  add->callback([action, add_opts] { *action = [add_opts] { return RunAdd(*add_opts); }; });

  auto show_opts = std::make_shared<LookupOptions>();
  CLI::App* show = tenant->add_subcommand("show", "a tenant and its home shard");
  show->add_option("ID", show_opts->id, "tenant id")->required();
  show->add_flag("--json", show_opts->json, "print JSON");
  AddDataOption(show, &show_opts->data_dir);
  show->callback([action, show_opts] { *action = [show_opts] { return RunShow(*show_opts); }; });

  auto where_opts = std::make_shared<LookupOptions>();
  CLI::App* where =
      app.add_subcommand("where", "where a tenant lives: shard, region, jurisdiction, engine");
  where->add_option("TENANT", where_opts->id, "tenant id")->required();
  where->add_flag("--json", where_opts->json, "print JSON");
  AddDataOption(where, &where_opts->data_dir);
  where->callback(
      [action, where_opts] { *action = [where_opts] { return RunWhere(*where_opts); }; });
}

}  // namespace domicile::cli
