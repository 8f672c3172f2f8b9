// Load() of a catalog with 1,000,000 tenants from SqliteCatalogStore, and the raw row scan in it.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "adapters/catalog/sqlite/sqlite_catalog_store.h"
#include "adapters/catalog/sqlite/sqlite_handle.h"

namespace domicile {
namespace {

constexpr int kTenants = 1000000;

// One catalog file for the whole run, built once (the commit takes a few seconds).
class BenchCatalog {
 public:
  BenchCatalog() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "catalog-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir_ = tmpl;
    path_ = (dir_ / "catalog.db").string();
    auto store = SqliteCatalogStore::Open(path_);
    if (!store.ok()) Die(store.status());
    CatalogChange change;
    change.ops.push_back(PutJurisdiction{{"EU", "European Union", {"aws:eu-central-1"}}});
    change.ops.push_back(PutJurisdiction{{"BR", "Brazil", {"aws:sa-east-1"}}});
    for (int i = 0; i < 8; ++i) {
      Shard s;
      s.id = (i % 2 ? "br-" : "eu-") + std::to_string(i);
      s.region = i % 2 ? "aws:sa-east-1" : "aws:eu-central-1";
      s.address = "host=10.0.0." + std::to_string(i);
      change.ops.push_back(PutShard{s});
    }
    for (int i = 0; i < kTenants; ++i) {
      Tenant t;
      t.id = "tenant-" + std::to_string(i);
      // A third of the tenants allow two jurisdictions, like a real mix.
      t.allowed = i % 3 == 0 ? std::vector<std::string>{"BR", "EU"}
                             : std::vector<std::string>{i % 2 ? "BR" : "EU"};
      t.home_shard = (i % 2 ? "br-" : "eu-") + std::to_string((i % 4) / 2 * 2 + i % 2);
      change.ops.push_back(PutTenant{t});
    }
    auto applied = ShardMap().Apply(change);
    if (!applied.ok()) Die(applied.status());
    Status st = (*store)->Commit(0, *applied, "bench");
    if (!st.ok()) Die(st);
  }
  ~BenchCatalog() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] static void Die(const Status& st) {
    std::fprintf(stderr, "bench setup failed: %s\n", st.ToString().c_str());
    std::abort();
  }
  std::filesystem::path dir_;
  std::string path_;
};

BenchCatalog& Catalog() {
  static BenchCatalog catalog;
  return catalog;
}

// The whole port call: snapshot read + ShardMap::Build (normalising and validating).
void BM_SqliteCatalogLoad(benchmark::State& state) {
  auto store = SqliteCatalogStore::Open(Catalog().path());
  if (!store.ok()) state.SkipWithError(store.status().ToString().c_str());
  for (auto _ : state) {
    auto map = (*store)->Load();
    if (!map.ok() || map->tenant_count() != static_cast<size_t>(kTenants)) {
      state.SkipWithError("load failed");
      break;
    }
  }
  state.counters["tenants"] = kTenants;
}
BENCHMARK(BM_SqliteCatalogLoad)->Unit(benchmark::kMillisecond)->Iterations(3);

// Only stepping through the tenant rows SQLite returns, to show what Load spends in SQLite.
void BM_SqliteTenantRowScan(benchmark::State& state) {
  auto db = sqlite::Db::Open(Catalog().path(), false);
  if (!db.ok()) state.SkipWithError(db.status().ToString().c_str());
  for (auto _ : state) {
    size_t bytes = 0;
    for (const char* sql : {"SELECT id, home_shard, state, version FROM tenants ORDER BY id",
                            "SELECT tenant_id, jurisdiction FROM tenant_allowed "
                            "ORDER BY tenant_id, jurisdiction"}) {
      auto stmt = sqlite::Stmt::Prepare(*db, sql);
      if (!stmt.ok()) {
        state.SkipWithError("prepare failed");
        return;
      }
      while (*stmt->Step()) bytes += stmt->Text(0).size() + stmt->Text(1).size();
    }
    benchmark::DoNotOptimize(bytes);
  }
}
BENCHMARK(BM_SqliteTenantRowScan)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace domicile

BENCHMARK_MAIN();
