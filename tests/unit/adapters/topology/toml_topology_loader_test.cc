// LoadTopologyString/File: the file format, and every shape problem reported with its line.
#include "adapters/topology/toml_topology_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace domicile {
namespace {

using ::testing::HasSubstr;

constexpr char kValid[] = R"(# comment
[[jurisdiction]]
code = "EU"
name = "European Union"
regions = ["aws:eu-central-1", "azure:westeurope"]

[[shard]]
id = "eu-1"
engine = "postgres"
region = "aws:eu-central-1"
dsn = "host=127.0.0.1 port=5433 dbname=app user=app"
weight = 50
capacity = 10
state = "draining"

[[shard]]
id = "eu-2"
engine = "sqlite"
region = "azure:westeurope"
path = "shards/eu-2.db"

[[tenant]]
id = "coop-lisboa"
allow = ["EU"]
shard = "eu-1"

[[tenant]]
id = "coop-berlin"
allow = ["eu"]
)";

// The problems of a failed load, one per line.
std::vector<std::string> Problems(std::string_view text) {
  auto result = LoadTopologyString(text, "t.toml", "/base");
  EXPECT_FALSE(result.ok());
  if (result.ok()) return {};
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  std::vector<std::string> lines;
  std::string message = result.status().message();
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    lines.push_back(message.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string OnlyProblem(std::string_view text) {
  auto problems = Problems(text);
  EXPECT_EQ(problems.size(), 1u) << ::testing::PrintToString(problems);
  return problems.empty() ? "" : problems.front();
}

TEST(TomlTopologyLoaderTest, ReadsAValidFile) {
  auto result = LoadTopologyString(kValid, "valid.toml", "/base");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Topology& t = *result;
  EXPECT_EQ(t.source, "valid.toml");
  ASSERT_EQ(t.jurisdictions.size(), 1u);
  EXPECT_EQ(t.jurisdictions[0].jurisdiction.code, "EU");
  EXPECT_EQ(t.jurisdictions[0].jurisdiction.name, "European Union");
  EXPECT_EQ(t.jurisdictions[0].jurisdiction.regions,
            (std::vector<std::string>{"aws:eu-central-1", "azure:westeurope"}));
  EXPECT_EQ(t.jurisdictions[0].line, 2);

  ASSERT_EQ(t.shards.size(), 2u);
  const Shard& pg = t.shards[0].shard;
  EXPECT_EQ(pg.id, "eu-1");
  EXPECT_EQ(pg.engine, Engine::kPostgres);
  EXPECT_EQ(pg.region, "aws:eu-central-1");
  EXPECT_EQ(pg.address, "host=127.0.0.1 port=5433 dbname=app user=app");
  EXPECT_EQ(pg.weight, 50u);
  EXPECT_EQ(pg.capacity, 10u);
  EXPECT_EQ(pg.state, ShardState::kDraining);
  EXPECT_TRUE(pg.jurisdiction.empty());
  EXPECT_EQ(t.shards[0].line, 7);
  const Shard& lite = t.shards[1].shard;
  EXPECT_EQ(lite.engine, Engine::kSqlite);
  EXPECT_EQ(lite.address, "/base/shards/eu-2.db");
  EXPECT_EQ(lite.weight, 100u);
  EXPECT_EQ(lite.capacity, 0u);
  EXPECT_EQ(lite.state, ShardState::kActive);
  EXPECT_EQ(t.shards[1].line, 16);

  ASSERT_EQ(t.tenants.size(), 2u);
  EXPECT_EQ(t.tenants[0].id, "coop-lisboa");
  EXPECT_EQ(t.tenants[0].allow, std::vector<std::string>{"EU"});
  EXPECT_EQ(t.tenants[0].shard, std::optional<std::string>("eu-1"));
  EXPECT_EQ(t.tenants[0].line, 22);
  EXPECT_EQ(t.tenants[1].shard, std::nullopt);
  EXPECT_EQ(t.tenants[1].allow, std::vector<std::string>{"eu"});  // the catalog normalises
  EXPECT_EQ(t.tenants[1].line, 27);
}

TEST(TomlTopologyLoaderTest, EmptyTextIsAnEmptyTopology) {
  auto result = LoadTopologyString("", "empty.toml");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->jurisdictions.empty() && result->shards.empty() && result->tenants.empty());
}

TEST(TomlTopologyLoaderTest, MalformedTomlGivesLineAndColumn) {
  std::string p = OnlyProblem("[[shard]]\nid = \"eu-1\"\nengine = postgres\n");
  EXPECT_THAT(p, HasSubstr("t.toml:3:"));
}

TEST(TomlTopologyLoaderTest, UnknownKeySuggestsTheKnownOne) {
  // The missing region is reported too, at the table; the typo at its own line.
  auto all = Problems(
      "[[shard]]\nid = \"eu-1\"\nengine = \"sqlite\"\nregoin = \"aws:x\"\npath = \"a.db\"\n");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_THAT(all, ::testing::Contains(HasSubstr(
                       "t.toml:4: unknown key 'regoin' in [[shard]] (did you mean 'region'?)")));
  EXPECT_THAT(all, ::testing::Contains(HasSubstr("t.toml:1: [[shard]] is missing required key "
                                                 "'region'")));
}

TEST(TomlTopologyLoaderTest, UnknownTopLevelKey) {
  EXPECT_THAT(
      OnlyProblem("\n[[tenants]]\nid = \"a\"\nallow = [\"EU\"]\n"),
      HasSubstr("t.toml:2: unknown key 'tenants' at the top level (did you mean 'tenant'?)"));
}

TEST(TomlTopologyLoaderTest, SectionMustBeAnArrayOfTables) {
  EXPECT_THAT(OnlyProblem("[shard]\nid = \"a\"\n"),
              HasSubstr("t.toml:1: 'shard' must be an array of tables: write [[shard]]"));
}

TEST(TomlTopologyLoaderTest, WrongTypes) {
  auto p = Problems(
      "[[jurisdiction]]\ncode = 7\nregions = \"aws:x\"\n"
      "[[tenant]]\nid = \"a\"\nallow = [\"EU\", 3]\n"
      "[[shard]]\nid = \"s\"\nengine = \"sqlite\"\nregion = \"aws:x\"\npath = \"a.db\"\n"
      "weight = \"heavy\"\n");
  ASSERT_EQ(p.size(), 4u) << ::testing::PrintToString(p);
  EXPECT_EQ(p[0], "t.toml:2: 'code' must be a string, not an integer");
  EXPECT_EQ(p[1], "t.toml:3: 'regions' must be an array of strings, not a string");
  EXPECT_EQ(p[2], "t.toml:6: 'allow[1]' must be a string, not an integer");
  EXPECT_EQ(p[3], "t.toml:12: 'weight' must be an integer, not a string");
}

TEST(TomlTopologyLoaderTest, OutOfRangeNumbers) {
  auto p = Problems(
      "[[shard]]\nid = \"s\"\nengine = \"sqlite\"\nregion = \"aws:x\"\npath = \"a.db\"\n"
      "weight = 0\ncapacity = -1\n");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_THAT(p[0], HasSubstr("t.toml:6: 'weight' must be between 1 and"));
  EXPECT_THAT(p[1], HasSubstr("t.toml:7: 'capacity' must be between 0 and"));
}

TEST(TomlTopologyLoaderTest, MissingRequiredKeys) {
  auto p = Problems("[[jurisdiction]]\nname = \"x\"\n\n[[tenant]]\nshard = \"eu-1\"\n");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], "t.toml:1: [[jurisdiction]] is missing required key 'code'");
  EXPECT_EQ(p[1], "t.toml:1: [[jurisdiction]] is missing required key 'regions'");
  EXPECT_EQ(p[2], "t.toml:4: [[tenant]] is missing required key 'id'");
  EXPECT_EQ(p[3], "t.toml:4: [[tenant]] is missing required key 'allow'");
}

TEST(TomlTopologyLoaderTest, UnsupportedEngineAndState) {
  auto p =
      Problems("[[shard]]\nid = \"s\"\nengine = \"mysql\"\nregion = \"aws:x\"\nstate = \"gone\"\n");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], "t.toml:3: engine 'mysql' is not supported: use \"postgres\" or \"sqlite\"");
  EXPECT_THAT(p[1], HasSubstr("t.toml:5: state 'gone' is not one of"));
}

TEST(TomlTopologyLoaderTest, EachEngineNeedsItsAddress) {
  auto p = Problems(
      "[[shard]]\nid = \"a\"\nengine = \"sqlite\"\nregion = \"aws:x\"\n\n"
      "[[shard]]\nid = \"b\"\nengine = \"postgres\"\nregion = \"aws:x\"\n\n"
      "[[shard]]\nid = \"c\"\nengine = \"postgres\"\nregion = \"aws:x\"\ndsn = \"d\"\n"
      "path = \"c.db\"\n");
  ASSERT_EQ(p.size(), 3u) << ::testing::PrintToString(p);
  EXPECT_EQ(p[0], "t.toml:1: sqlite shard needs 'path' (its database file)");
  EXPECT_EQ(p[1], "t.toml:6: postgres shard needs 'dsn' (a libpq connection string)");
  EXPECT_EQ(p[2], "t.toml:16: 'path' is for sqlite shards; a postgres shard takes 'dsn'");
}

TEST(TomlTopologyLoaderTest, DuplicateIds) {
  auto p =
      Problems("[[tenant]]\nid = \"a\"\nallow = [\"EU\"]\n[[tenant]]\nid = \"A\"\nallow = []\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "t.toml:4: tenant 'A' is declared twice (first at line 1)");
}

TEST(TomlTopologyLoaderTest, EveryProblemIsListedTogetherInFileOrder) {
  auto p = Problems(
      "[[jurisdiction]]\ncode = \"EU\"\nregions = [\"aws:eu-central-1\"]\ncolour = \"blue\"\n"
      "[[shard]]\nid = \"eu-1\"\nengine = \"oracle\"\nregion = \"aws:eu-central-1\"\n"
      "[[tenant]]\nid = \"t\"\nallow = \"EU\"\n");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_THAT(p[0], HasSubstr("t.toml:4: unknown key 'colour'"));
  EXPECT_THAT(p[1], HasSubstr("t.toml:7: engine 'oracle'"));
  EXPECT_THAT(p[2], HasSubstr("t.toml:11: 'allow' must be an array of strings"));
}

TEST(TomlTopologyLoaderTest, FileResolvesSqlitePathsAgainstItsDirectory) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "conf");
  std::string file = dir.Sub("conf/topology.toml");
  std::ofstream(file) << "[[shard]]\nid = \"a\"\nengine = \"sqlite\"\nregion = \"aws:x\"\n"
                         "path = \"../data/a.db\"\n"
                         "[[shard]]\nid = \"b\"\nengine = \"sqlite\"\nregion = \"aws:x\"\n"
                         "path = \"/abs/b.db\"\n";
  auto result = LoadTopologyFile(file);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->source, file);
  EXPECT_EQ(result->shards[0].shard.address, (dir.path() / "data/a.db").string());
  EXPECT_EQ(result->shards[1].shard.address, "/abs/b.db");
}

TEST(TomlTopologyLoaderTest, MissingFileIsInvalidArgument) {
  auto result = LoadTopologyFile("/nonexistent/topology.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("/nonexistent/topology.toml"));
}

}  // namespace
}  // namespace domicile
