// The real `domicile` binary: catalog, shard, tenant, where and demo, with their exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "adapters/catalog/sqlite/sqlite_catalog_store.h"
#include "adapters/storage/sqlite/sqlite_shard_storage.h"
#include "contract/catalog_store_fixtures.h"
#include "integration/cli/cli_runner.h"
#include "support/temp_dir.h"

namespace domicile {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using ::testing::HasSubstr;
using testing::RunDomicile;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class CliTest : public ::testing::Test {
 protected:
  // Runs `domicile ARGS --data <temp>/data`.
  CliRun Run(std::vector<std::string> args) {
    args.push_back("--data");
    args.push_back(data_);
    return RunDomicile(args);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.Sub(name);
    std::ofstream(path) << text;
    return path;
  }
  // A copy of examples/demo.toml in the temp dir, so its relative shard paths land there.
  std::string DemoToml() {
    return Write("demo.toml", ReadFile(std::string(DOMICILE_SOURCE_DIR) + "/examples/demo.toml"));
  }
  nlohmann::json Catalog() {
    CliRun run = Run({"catalog", "show", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return nlohmann::json::parse(run.out);
  }
  uint64_t Version() { return Catalog()["version"].get<uint64_t>(); }
  void ApplyDemo() {
    CliRun run = Run({"catalog", "apply", DemoToml()});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  testing::TempDir dir_{"domicile-cli"};
  std::string data_ = dir_.Sub("data");
};

TEST_F(CliTest, ApplyingTheDemoTopologyTwiceChangesNothingTheSecondTime) {
  std::string file = DemoToml();
  CliRun first = Run({"catalog", "apply", file});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("catalog version 0 -> 1"));
  EXPECT_THAT(first.out, HasSubstr("put tenant coop-lisboa on eu-1"));
  CliRun second = Run({"catalog", "apply", file});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("no changes (catalog version 1)"));
  EXPECT_TRUE(second.err.empty());
  EXPECT_EQ(Version(), 1u);
}

TEST_F(CliTest, CatalogShowJsonListsJurisdictionsShardsAndTenants) {
  ApplyDemo();
  nlohmann::json catalog = Catalog();
  EXPECT_EQ(catalog["version"], 1);
  std::set<std::string> codes;
  for (const auto& j : catalog["jurisdictions"]) codes.insert(j["code"].get<std::string>());
  EXPECT_EQ(codes, (std::set<std::string>{"BR", "EU", "US"}));
  std::map<std::string, std::string> home;
  for (const auto& t : catalog["tenants"]) home[t["id"]] = t["shard"];
  EXPECT_EQ(home.size(), 12u);
  EXPECT_EQ(home["coop-lisboa"], "eu-1");
  EXPECT_EQ(home["coop-berlin"], "eu-2");
  EXPECT_EQ(home["coop-sao-paulo"], "br-1");
  EXPECT_EQ(home["coop-austin"], "us-1");
  EXPECT_THAT(home["coop-atlantico"], ::testing::AnyOf("eu-1", "eu-2", "br-1"));
  size_t total = 0;
  for (const auto& s : catalog["shards"]) {
    total += s["tenants"].get<size_t>();
    EXPECT_EQ(s["engine"], "sqlite");
    EXPECT_EQ(s["address"], dir_.Sub("shards/" + s["id"].get<std::string>() + ".db"));
  }
  EXPECT_EQ(total, 12u);
  CliRun text = Run({"catalog", "show"});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, HasSubstr("European Union"));
  EXPECT_THAT(text.out, HasSubstr("coop-porto-alegre"));
}

TEST_F(CliTest, WherePrintsShardRegionJurisdictionAndEngine) {
  ApplyDemo();
  CliRun text = Run({"where", "coop-lisboa"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out,
            "coop-lisboa: shard eu-1, region aws:eu-central-1, jurisdiction EU, engine sqlite\n");
  CliRun json = Run({"where", "COOP-Sao-Paulo", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto where = nlohmann::json::parse(json.out);
  EXPECT_EQ(where["tenant"], "coop-sao-paulo");
  EXPECT_EQ(where["shard"], "br-1");
  EXPECT_EQ(where["region"], "aws:sa-east-1");
  EXPECT_EQ(where["jurisdiction"], "BR");
  EXPECT_EQ(where["engine"], "sqlite");
  CliRun show = Run({"tenant", "show", "coop-austin", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(nlohmann::json::parse(show.out)["home"]["jurisdiction"], "US");
}

// A move's cutover marks the tenant held in the shared catalog; `tenant show` says so.
TEST_F(CliTest, TenantShowSaysHeldDuringACutover) {
  ApplyDemo();
  {
    auto store = SqliteCatalogStore::Open(data_ + "/catalog.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    testing::CommitOrFail(**store, {{SetTenantState{"coop-lisboa", TenantState::kHeld}}, "hold"});
  }
  CliRun text = Run({"tenant", "show", "coop-lisboa"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, ::testing::ContainsRegex("state +held"));
  CliRun json = Run({"tenant", "show", "coop-lisboa", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["state"], "held");
}

TEST_F(CliTest, TenantAddPlacesOnTheLeastLoadedAllowedShard) {
  ApplyDemo();
  // br-1, eu-1 and eu-2 hold three tenants each: ties go to the smallest id, then load decides.
  CliRun first = Run({"tenant", "add", "coop-porto", "--allow", "EU"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("tenant coop-porto on shard eu-1 (placed)"));
  CliRun second = Run({"tenant", "add", "coop-lyon", "--allow", "EU,BR"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("tenant coop-lyon on shard br-1 (placed)"));
  CliRun again = Run({"tenant", "add", "coop-porto", "--allow", "EU"});
  EXPECT_EQ(again.exit_code, 0) << again.err;  // the same tenant again is a no-op
  EXPECT_EQ(Version(), 3u);
  CliRun pinned = Run({"tenant", "add", "coop-natal", "--allow", "BR", "--shard", "br-1"});
  ASSERT_EQ(pinned.exit_code, 0) << pinned.err;
  EXPECT_THAT(pinned.out, HasSubstr("on shard br-1 (as asked)"));
}

TEST_F(CliTest, ShardOutsideTheTenantsJurisdictionsIsRefusedAndNothingIsWritten) {
  ApplyDemo();
  CliRun run = Run({"tenant", "add", "coop-x", "--allow", "EU", "--shard", "us-1"});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr("domicile: error: residency rule R2"));
  EXPECT_EQ(Version(), 1u);
  EXPECT_EQ(Run({"where", "coop-x"}).exit_code, 4);
}

TEST_F(CliTest, UnknownTenantAndShardAreNotFound) {
  ApplyDemo();
  CliRun where = Run({"where", "coop-nowhere"});
  EXPECT_EQ(where.exit_code, 4);
  EXPECT_EQ(where.err, "domicile: error: unknown tenant 'coop-nowhere'\n");
  EXPECT_EQ(Run({"tenant", "show", "coop-nowhere"}).exit_code, 4);
  EXPECT_EQ(Run({"shard", "drain", "xx-9"}).exit_code, 4);
}

TEST_F(CliTest, MalformedTomlIsAUsageErrorWithItsLineAndWritesNothing) {
  std::string file = Write("bad.toml", "[[shard]]\nid = \"a\"\nengine = sqlite\n");
  CliRun run = Run({"catalog", "apply", file});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("domicile: error: " + file + ":3:"));
  EXPECT_FALSE(fs::exists(data_));
}

TEST_F(CliTest, EveryShapeProblemIsListedWithItsLine) {
  std::string file =
      Write("typo.toml", "[[shard]]\nid = \"a\"\nengine = \"mysql\"\nregoin = \"aws:x\"\n");
  CliRun run = Run({"catalog", "apply", file});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr(file + ":1: [[shard]] is missing required key 'region'"));
  EXPECT_THAT(run.err, HasSubstr(file + ":3: engine 'mysql'"));
  EXPECT_THAT(run.err, HasSubstr(file + ":4: unknown key 'regoin'"));
}

TEST_F(CliTest, ShardInAnUnknownRegionIsAUsageErrorWithItsLine) {
  std::string file = Write("region.toml",
                           "[[jurisdiction]]\ncode = \"EU\"\nregions = [\"aws:eu-central-1\"]\n\n"
                           "[[shard]]\nid = \"a\"\nengine = \"sqlite\"\nregion = \"aws:mars-1\"\n"
                           "path = \"a.db\"\n");
  CliRun run = Run({"catalog", "apply", file});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr(file + ":5: "));
  EXPECT_THAT(run.err, HasSubstr("aws:mars-1"));
  EXPECT_EQ(Version(), 0u);
}

TEST_F(CliTest, TenantWithNoAllowedJurisdictionIsRefused) {
  std::string file = Write("r1.toml",
                           "[[jurisdiction]]\ncode = \"EU\"\nregions = [\"aws:eu-central-1\"]\n"
                           "[[tenant]]\nid = \"coop-none\"\nallow = []\n");
  CliRun run = Run({"catalog", "apply", file});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr(file + ":4: "));
  EXPECT_THAT(run.err, HasSubstr("R1"));
  ApplyDemo();
  CliRun add = Run({"tenant", "add", "coop-none", "--allow", ""});
  EXPECT_EQ(add.exit_code, 3);
  EXPECT_THAT(add.err, HasSubstr("R1"));
}

TEST_F(CliTest, AFileThatIsNotACatalogIsUnavailableAndLeftAlone) {
  fs::create_directories(data_);
  std::string catalog = data_ + "/catalog.db";
  std::string garbage = "this is not a catalog, just some bytes\n";
  std::ofstream(catalog) << garbage;
  EXPECT_EQ(Run({"catalog", "show"}).exit_code, 5);
  EXPECT_EQ(Run({"catalog", "apply", DemoToml()}).exit_code, 5);
  CliRun add = Run({"tenant", "add", "coop-x", "--allow", "EU"});
  EXPECT_EQ(add.exit_code, 5);
  EXPECT_THAT(add.err, HasSubstr("domicile: error: "));
  EXPECT_EQ(ReadFile(catalog), garbage);
}

TEST_F(CliTest, ReadCommandsNeverCreateACatalog) {
  CliRun run = Run({"catalog", "show"});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_THAT(run.err, HasSubstr("no catalog at"));
  EXPECT_EQ(Run({"where", "coop-lisboa"}).exit_code, 4);
  EXPECT_FALSE(fs::exists(data_));
}

TEST_F(CliTest, BadArgumentsAreUsageErrors) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"bogus"},
      {"catalog"},
      {"catalog", "apply"},
      {"shard", "add", "eu-9", "--engine", "sqlite"},
      {"shard", "add", "eu-9", "--engine", "mysql", "--region", "aws:x", "--path", "a.db"},
      {"shard", "add", "eu-9", "--engine", "sqlite", "--region", "aws:x", "--path", "a.db", "--dsn",
       "host=x"},
      {"shard", "add", "eu-9", "--engine", "postgres", "--region", "aws:eu-central-1"},
      {"shard", "add", "eu-9", "--engine", "sqlite", "--region", "aws:x", "--path", "a.db",
       "--weight", "heavy"},
      {"tenant", "add", "coop-x"},
      {"tenant", "add", "Bad Id!", "--allow", "EU"},
      {"where", "Bad Id!"},
      {"catalog", "show", "--nope"},
  };
  for (const auto& args : bad) {
    CliRun run = RunDomicile(args, dir_.path().string());
    EXPECT_EQ(run.exit_code, 2) << ::testing::PrintToString(args) << "\n" << run.err;
    EXPECT_THAT(run.err, HasSubstr("domicile: error: ")) << ::testing::PrintToString(args);
  }
  EXPECT_EQ(RunDomicile({"--help"}).exit_code, 0);
}

TEST_F(CliTest, ShardAddListAndDrain) {
  ApplyDemo();
  CliRun add = Run({"shard", "add", "eu-3", "--engine", "sqlite", "--region", "gcp:europe-west3",
                    "--path", dir_.Sub("eu-3.db"), "--weight", "50"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_THAT(add.out, HasSubstr("shard eu-3: sqlite in gcp:europe-west3 (EU)"));
  auto shards = nlohmann::json::parse(Run({"shard", "list", "--json"}).out);
  ASSERT_EQ(shards.size(), 5u);
  EXPECT_EQ(shards[3]["id"], "eu-3");  // sorted by id
  EXPECT_EQ(shards[3]["jurisdiction"], "EU");
  EXPECT_EQ(shards[3]["weight"], 50);
  EXPECT_EQ(shards[3]["tenants"], 0);
  // Draining takes eu-3 out of placement even though it is the emptiest EU shard.
  ASSERT_EQ(Run({"shard", "drain", "eu-3"}).exit_code, 0);
  CliRun placed = Run({"tenant", "add", "coop-porto", "--allow", "EU"});
  ASSERT_EQ(placed.exit_code, 0) << placed.err;
  EXPECT_THAT(placed.out, HasSubstr("on shard eu-1"));
  CliRun dsn = Run({"shard", "add", "eu-4", "--engine", "postgres", "--region", "aws:eu-west-1",
                    "--dsn", "host=127.0.0.1 password=s3cret dbname=app"});
  ASSERT_EQ(dsn.exit_code, 0) << dsn.err;
  CliRun list = Run({"shard", "list"});
  EXPECT_THAT(list.out, HasSubstr("password=***"));
  EXPECT_THAT(list.out, ::testing::Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace domicile
