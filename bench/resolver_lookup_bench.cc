// Resolver lookups at 1,000,000 tenants: the per-statement cost of finding a tenant's shard.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "app/resolver.h"

namespace domicile {
namespace {

constexpr int kTenants = 1'000'000;

std::string TenantId(int i) { return "tenant-" + std::to_string(i); }

// A store that only ever holds one prebuilt map: the benchmark measures lookups, not I/O.
class PrebuiltStore final : public CatalogStore {
 public:
  explicit PrebuiltStore(ShardMap map) : map_(std::move(map)) {}
  Result<ShardMap> Load() override { return map_; }
  Result<uint64_t> CurrentVersion() override { return map_.version(); }
  Status Commit(uint64_t, const AppliedChange&, const std::string&) override {
    return Internal("read-only benchmark store");
  }
  Result<std::vector<ChangeRecord>> ChangesSince(uint64_t, size_t) override {
    return std::vector<ChangeRecord>{};
  }

 private:
  ShardMap map_;
};

ShardMap MillionTenantMap() {
  std::vector<Jurisdiction> jurisdictions = {
      {"BR", "Brazil", {"aws:sa-east-1"}},
      {"EU", "European Union", {"aws:eu-central-1", "azure:westeurope"}},
      {"US", "United States", {"aws:us-east-1"}}};
  std::vector<Shard> shards;
  const char* regions[] = {"aws:eu-central-1", "azure:westeurope", "aws:sa-east-1",
                           "aws:us-east-1"};
  for (int i = 0; i < 16; ++i) {
    Shard s;
    s.id = "shard-" + std::to_string(i);
    s.region = regions[i % 4];
    s.address = "host=127.0.0.1 dbname=s" + std::to_string(i);
    shards.push_back(s);
  }
  const char* codes[] = {"EU", "EU", "BR", "US"};
  std::vector<Tenant> tenants;
  tenants.reserve(kTenants);
  for (int i = 0; i < kTenants; ++i) {
    Tenant t;
    t.id = TenantId(i);
    t.home_shard = shards[i % 16].id;
    t.allowed = {codes[i % 4]};
    t.version = 1;
    tenants.push_back(std::move(t));
  }
  auto map = ShardMap::Build(1, jurisdictions, shards, std::move(tenants));
  if (!map.ok()) std::abort();
  return std::move(*map);
}

struct Fixture {
  PrebuiltStore store{MillionTenantMap()};
  Resolver resolver{store};
  std::vector<std::string> ids;  // shuffled, so lookups miss the CPU caches like real traffic
  Fixture() {
    if (!resolver.Refresh().ok()) std::abort();
    for (int i = 0; i < kTenants; ++i) ids.push_back(TenantId(i));
    std::shuffle(ids.begin(), ids.end(), std::mt19937(42));
  }
};

Fixture& Shared() {
  static Fixture fixture;
  return fixture;
}

void BM_ResolverLookup(benchmark::State& state) {
  Fixture& f = Shared();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    auto route = f.resolver.Lookup(f.ids[i++ % f.ids.size()]);
    benchmark::DoNotOptimize(route.ok() ? route->shard : nullptr);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResolverLookup)->Threads(1)->Threads(2)->UseRealTime();

// Same key set, same order, straight on the ShardMap: the resolver's own overhead is the gap.
void BM_ShardMapResolve(benchmark::State& state) {
  Fixture& f = Shared();
  auto map = f.resolver.Snapshot();
  size_t i = 0;
  for (auto _ : state) {
    auto route = map->Resolve(f.ids[i++ % f.ids.size()]);
    benchmark::DoNotOptimize(route.ok() ? route->shard : nullptr);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ShardMapResolve);

void BM_ResolverLookupUnknownTenant(benchmark::State& state) {
  Fixture& f = Shared();
  for (auto _ : state) {
    auto route = f.resolver.Lookup("no-such-tenant");
    benchmark::DoNotOptimize(route.ok());
  }
}
BENCHMARK(BM_ResolverLookupUnknownTenant);

// Lookups while thread 0 republishes the map every 10,000 lookups: each reader then takes
// the slow path once to pick up the new generation.
void BM_ResolverLookupDuringPublish(benchmark::State& state) {
  Fixture& f = Shared();
  auto base = f.resolver.Snapshot();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    if (state.thread_index() == 0 && i % 10000 == 0) f.resolver.Publish(base);
    auto route = f.resolver.Lookup(f.ids[i++ % f.ids.size()]);
    benchmark::DoNotOptimize(route.ok() ? route->shard : nullptr);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResolverLookupDuringPublish)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace domicile

BENCHMARK_MAIN();
