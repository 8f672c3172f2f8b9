// `domicile demo`: every cooperative's rows on its home shard only, idempotent, self-contained.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/storage/sqlite/sqlite_shard_storage.h"
#include "integration/cli/cli_runner.h"
#include "support/temp_dir.h"

namespace domicile {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using ::testing::HasSubstr;
using testing::RunDomicile;

// tenant_id -> count(*) of one table, from `SELECT tenant_id, count(*) ... GROUP BY`.
class GroupSink final : public RowSink {
 public:
  void OnColumns(const std::vector<Column>&) override {}
  bool OnRow(std::span<const Value> row) override {
    counts[std::get<std::string>(row[0])] = std::get<int64_t>(row[1]);
    return true;
  }
  std::map<std::string, int64_t> counts;
};

std::map<std::string, int64_t> CountsByTenant(const std::string& shard_file,
                                              const std::string& table) {
  SqliteShardStorage storage(shard_file);
  auto session = storage.Open();
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  if (!session.ok()) return {};
  GroupSink sink;
  auto run = (*session)->Execute("SELECT tenant_id, count(*) FROM " + table + " GROUP BY tenant_id",
                                 {}, &sink);
  EXPECT_TRUE(run.ok()) << run.status().ToString();
  return sink.counts;
}

nlohmann::json CatalogOf(const std::string& data_dir) {
  CliRun run = RunDomicile({"catalog", "show", "--json", "--data", data_dir});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return nlohmann::json::parse(run.out);
}

TEST(DemoTest, SeedsEveryTenantOnItsHomeShardOnlyAndRunsAgainWithoutDuplicates) {
  testing::TempDir dir("domicile-demo");
  std::string data = dir.Sub("data");
  CliRun first = RunDomicile({"demo", "--no-serve", "--data", data});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("version 0 -> 1"));
  EXPECT_THAT(first.out, HasSubstr("coop-lisboa"));
  CliRun second = RunDomicile({"demo", "--no-serve", "--data", data});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("already holds the demo topology (version 1)"));

  nlohmann::json catalog = CatalogOf(data);
  std::map<std::string, std::map<std::string, int64_t>> expected;  // shard -> tenant -> 1
  for (const auto& t : catalog["tenants"]) expected[t["shard"]][t["id"]] = 1;
  ASSERT_EQ(catalog["tenants"].size(), 12u);
  ASSERT_GE(expected.size(), 4u);
  for (const auto& s : catalog["shards"]) {
    std::string id = s["id"];
    std::string file = s["address"];
    EXPECT_EQ(file, data + "/shards/" + id + ".db");
    ASSERT_TRUE(fs::exists(file)) << file;
    const auto& mine = expected[id];
    auto times = [&](int64_t n) {
      std::map<std::string, int64_t> out;
      for (const auto& [tenant, one] : mine) out[tenant] = one * n;
      return out;
    };
    EXPECT_EQ(CountsByTenant(file, "cooperatives"), times(1)) << "shard " << id;
    EXPECT_EQ(CountsByTenant(file, "members"), times(3)) << "shard " << id;
    EXPECT_EQ(CountsByTenant(file, "payments"), times(6)) << "shard " << id;
  }
  // The layout printed reads the counts back from the shards.
  EXPECT_THAT(second.out, HasSubstr("1 cooperative  3 members  6 payments"));
}

TEST(DemoTest, DefaultDataDirectoryIsInTheWorkingDirectory) {
  testing::TempDir dir("domicile-demo");
  CliRun run = RunDomicile({"demo", "--no-serve"}, dir.path().string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(fs::exists(dir.path() / "domicile-data/catalog.db"));
  EXPECT_TRUE(fs::exists(dir.path() / "domicile-data/shards/eu-1.db"));
  CliRun where = RunDomicile({"where", "coop-lisboa"}, dir.path().string());
  EXPECT_EQ(where.exit_code, 0) << where.err;
}

// The demo's compiled-in topology is examples/demo.toml: same catalog apart from where the
// shard files are.
TEST(DemoTest, CompiledInTopologyIsExamplesDemoToml) {
  testing::TempDir dir("domicile-demo");
  std::string demo_data = dir.Sub("demo");
  ASSERT_EQ(RunDomicile({"demo", "--no-serve", "--data", demo_data}).exit_code, 0);

  std::string applied_data = dir.Sub("applied");
  fs::create_directories(applied_data);
  fs::copy_file(std::string(DOMICILE_SOURCE_DIR) + "/examples/demo.toml",
                applied_data + "/demo.toml");
  CliRun apply =
      RunDomicile({"catalog", "apply", applied_data + "/demo.toml", "--data", applied_data});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;

  nlohmann::json a = CatalogOf(demo_data);
  nlohmann::json b = CatalogOf(applied_data);
  EXPECT_EQ(a["jurisdictions"], b["jurisdictions"]);
  EXPECT_EQ(a["tenants"], b["tenants"]);
  for (auto& s : a["shards"]) s["address"] = fs::path(s["address"].get<std::string>()).filename();
  for (auto& s : b["shards"]) s["address"] = fs::path(s["address"].get<std::string>()).filename();
  EXPECT_EQ(a["shards"], b["shards"]);
}

}  // namespace
}  // namespace domicile
