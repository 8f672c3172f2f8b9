// `domicile demo`: the embedded demo topology on SQLite shards, seeded, shown by place, then
// served to PostgreSQL clients (psql) through the front door.
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "adapters/topology/toml_topology_loader.h"
#include "app/catalog_service.h"
#include "domain/ids.h"
#include "frontends/cli/catalog_access.h"
#include "frontends/cli/command.h"
#include "frontends/cli/demo_dataset.h"
#include "frontends/cli/demo_topology.h"
#include "frontends/cli/serve_command.h"
#include "frontends/cli/storage_factory.h"
#include "frontends/cli/views.h"

namespace domicile::cli {
namespace {

namespace fs = std::filesystem;

struct DemoOptions {
  std::string data_dir = kDefaultDataDir;
  std::string listen = "127.0.0.1:6432";
  bool no_serve = false;
};

// One open session per shard, made on first use with the demo schema in place.
class ShardSessions {
 public:
  Result<ShardSession*> For(const Shard& shard) {
    auto it = sessions_.find(shard.id);
    if (it != sessions_.end()) return it->second.get();
    auto storage = MakeShardStorage(shard);
    if (!storage.ok()) return storage.status();
    auto session = (*storage)->Open();
    if (!session.ok()) {
      return Status(session.status().code(),
                    "shard " + shard.id + ": " + session.status().message());
    }
    DOMICILE_RETURN_IF_ERROR(CreateDemoSchema(**session));
    ShardSession* raw = session->get();
    storages_.push_back(std::move(storage).value());
    sessions_.emplace(shard.id, std::move(session).value());
    return raw;
  }

 private:
  std::vector<std::unique_ptr<ShardStorage>> storages_;
  std::map<std::string, std::unique_ptr<ShardSession>> sessions_;
};

// Per jurisdiction -> shard -> tenant, with row counts read back from the shard itself.
Status PrintLayout(const ShardMap& map, const std::set<std::string>& demo_tenants,
                   ShardSessions& sessions) {
  for (const auto& j : map.jurisdictions()) {
    std::cout << '\n' << j.code << "  " << j.name << '\n';
    for (const Shard* shard : map.SortedShards()) {
      if (shard->jurisdiction != j.code) continue;
      std::cout << "  " << shard->id << "  " << EngineName(shard->engine) << "  " << shard->region
                << "  " << DisplayAddress(*shard) << '\n';
      std::vector<std::vector<std::string>> rows;
      for (const Tenant* t : map.SortedTenants()) {
        if (t->home_shard != shard->id) continue;
        if (!demo_tenants.count(t->id)) {
          rows.push_back({t->id, "(not a demo tenant)"});
          continue;
        }
        auto session = sessions.For(*shard);
        if (!session.ok()) return session.status();
        auto counts = CountDemoRows(**session, t->id);
        if (!counts.ok()) return counts.status();
        rows.push_back({t->id, std::to_string(counts->cooperatives) + " cooperative",
                        std::to_string(counts->members) + " members",
                        std::to_string(counts->payments) + " payments",
                        DemoCooperativeLabel(t->id)});
      }
      if (rows.empty()) rows.push_back({"(no tenants)"});
      PrintTable(std::cout, rows, "    ");
    }
  }
  return Status::Ok();
}

Status SeedDemo(const DemoOptions& opts) {
  std::error_code ec;
  fs::create_directories(fs::path(opts.data_dir) / "shards", ec);
  if (ec) return Unavailable("cannot create " + opts.data_dir + "/shards: " + ec.message());
  fs::path data_dir = fs::absolute(opts.data_dir, ec).lexically_normal();
  if (ec) return Unavailable("cannot resolve " + opts.data_dir + ": " + ec.message());

  // Relative shard paths in the demo topology land under the data directory.
  auto topology = LoadTopologyString(kDemoTopology, "examples/demo.toml", data_dir.string());
  if (!topology.ok()) {
    return Internal("the demo topology compiled into this binary is invalid: " +
                    topology.status().message());
  }
  auto store = OpenCatalog(opts.data_dir, /*create=*/true);
  if (!store.ok()) return store.status();
  CatalogService service(**store);
  auto report = service.ApplyTopology(*topology);
  if (!report.ok()) return report.status();
  std::cout << "catalog " << CatalogPath(data_dir.string()) << ": ";
  if (report->changes.empty()) {
    std::cout << "already holds the demo topology (version " << report->new_version << ")\n";
  } else {
    std::cout << "version " << report->old_version << " -> " << report->new_version << " ("
              << report->changes.size() << " changes)\n";
  }

  auto map = service.Snapshot();
  if (!map.ok()) return map.status();
  ShardSessions sessions;
  std::set<std::string> demo_tenants;
  for (const auto& declared : topology->tenants) {
    auto id = NormalizeId("tenant", declared.id);
    if (!id.ok()) return id.status();
    // Each tenant's rows go only to the shard the catalog names as its home.
    auto route = map->Resolve(*id);
    if (!route.ok()) return route.status();
    auto session = sessions.For(*route->shard);
    if (!session.ok()) return session.status();
    DOMICILE_RETURN_IF_ERROR(SeedDemoTenant(**session, *id));
    demo_tenants.insert(*id);
  }
  std::cout << "seeded " << demo_tenants.size()
            << " cooperatives, each on its home shard only; what lives where:\n";
  DOMICILE_RETURN_IF_ERROR(PrintLayout(*map, demo_tenants, sessions));
  std::cout << "\ntry: domicile where coop-lisboa --data " << opts.data_dir << '\n'
            << "     domicile catalog show --data " << opts.data_dir << '\n'
            << "     domicile tenant move coop-lisboa --to eu-2 --grace-ms 0 --data " << opts.data_dir
            << "   (a move between SQLite shards: the tenant is frozen for the copy)\n";
  return Status::Ok();
}

// How to reach the served demo with psql: by startup option, and by key column in SQL.
void PrintConnectHelp(const std::string& host, uint16_t port) {
  std::string base = "host=" + host + " port=" + std::to_string(port) + " user=demo dbname=demo";
  std::cout << "\nconnect with psql (Ctrl-C here stops the server):\n"
            << "  psql \"" << base << " options='-c domicile.tenant=coop-lisboa'\"\n"
            << "    SELECT name, joined FROM members WHERE tenant_id = 'coop-lisboa';\n"
            << "  psql \"" << base << "\" -c \"SELECT name, city FROM cooperatives WHERE "
            << "tenant_id = 'coop-berlin'\"\n"
            << "  a shard holds several tenants: filter on tenant_id as the application does\n";
  std::cout.flush();
}

Status RunDemo(const DemoOptions& opts) {
  ServeConfig config;
  if (!opts.no_serve) DOMICILE_RETURN_IF_ERROR(ParseListen(opts.listen, &config));
  DOMICILE_RETURN_IF_ERROR(SeedDemo(opts));
  if (opts.no_serve) return Status::Ok();
  std::cout << '\n';
  std::string host = config.listen_host;
  return RunServe(opts.data_dir, std::move(config),
                  [host](uint16_t port) { PrintConnectHelp(host, port); });
}

}  // namespace

void AddDemoCommand(CLI::App& app, Action* action) {
  auto opts = std::make_shared<DemoOptions>();
  CLI::App* demo = app.add_subcommand(
      "demo", "apply the demo topology (EU, BR, US on SQLite shards) and seed each tenant's rows");
  AddDataOption(demo, &opts->data_dir);
  demo->add_option("--listen", opts->listen, "HOST:PORT the served demo listens on")
      ->capture_default_str();
  demo->add_flag("--no-serve", opts->no_serve, "only seed and print; do not start the server");
  demo->callback([action, opts] { *action = [opts] { return RunDemo(*opts); }; });
}

}  // namespace domicile::cli
