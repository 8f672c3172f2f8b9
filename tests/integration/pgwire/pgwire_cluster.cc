// PgwireCluster: two PostgreSQL servers, three shard databases, one topology.
#include "integration/pgwire/pgwire_cluster.h"

#include <stdexcept>

#include "adapters/catalog/sqlite/sqlite_catalog_store.h"
#include "contract/catalog_store_fixtures.h"

namespace domicile::testing {
namespace {

constexpr const char* kJurisdictions = R"(
[[jurisdiction]]
code = "EU"
regions = ["aws:eu-central-1"]

[[jurisdiction]]
code = "BR"
regions = ["aws:sa-east-1"]

[[jurisdiction]]
code = "US"
regions = ["gcp:us-central1"]
)";

struct Placement {
  const char* tenant;
  const char* jurisdiction;
  const char* shard;
};
constexpr Placement kTenants[] = {
    {"e1", "EU", "eu-1"},  {"e2", "EU", "eu-1"},  {"101", "EU", "eu-1"}, {"102", "EU", "eu-1"},
    {"u1", "US", "us-1"},  {"301", "US", "us-1"}, {"b1", "BR", "br-1"},  {"b2", "BR", "br-1"},
    {"201", "BR", "br-1"}, {"202", "BR", "br-1"},
};

// The same tables on every shard; bench_accounts holds a row for the shard's own numeric
// tenants only, so a misrouted UPDATE touches nothing and a misrouted INSERT shows up.
constexpr const char* kSchema = R"(
CREATE TABLE notes (tenant_id text NOT NULL, id int NOT NULL, body text);
CREATE TABLE bench_accounts (tenant_id int PRIMARY KEY, balance bigint NOT NULL DEFAULT 0);
CREATE TABLE bench_history (tenant_id int NOT NULL, delta int NOT NULL);
CREATE SCHEMA app_schema;
CREATE TABLE app_schema.widgets (tenant_id text NOT NULL, name text);
)";

std::string RegionOf(const std::string& shard) {
  if (shard == "eu-1") return "aws:eu-central-1";
  if (shard == "br-1") return "aws:sa-east-1";
  return "gcp:us-central1";
}

}  // namespace

PgwireCluster& PgwireCluster::Get() {
  static std::unique_ptr<PgwireCluster> cluster;
  static std::string failure;
  if (!cluster && failure.empty()) {
    try {
      cluster.reset(new PgwireCluster());
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  if (!cluster) throw std::runtime_error("PgwireCluster did not start: " + failure);
  return *cluster;
}

PgwireCluster::PgwireCluster() {
  a_ = std::make_unique<PgServer>();
  b_ = std::make_unique<PgServer>();
  shards_ = {{"eu-1", a_.get(), "eu1"}, {"us-1", a_.get(), "us1"}, {"br-1", b_.get(), "br1"}};
  Create();
}

void PgwireCluster::Create() {
  for (auto& s : shards_) {
    s.server->CreateDatabase(s.db);
    std::string seed = kSchema;
    for (const auto& t : kTenants) {
      if (t.shard == s.id && std::isdigit(static_cast<unsigned char>(t.tenant[0]))) {
        seed += "INSERT INTO bench_accounts VALUES (" + std::string(t.tenant) + ", 0);";
      }
    }
    s.server->Exec(seed, s.db);
  }
}

const ShardDb& PgwireCluster::shard(const std::string& id) const {
  for (const auto& s : shards_) {
    if (s.id == id) return s;
  }
  throw std::runtime_error("no shard " + id);
}

std::string PgwireCluster::ShardOf(const std::string& tenant) {
  for (const auto& t : kTenants) {
    if (tenant == t.tenant) return t.shard;
  }
  return "";
}

std::string PgwireCluster::Topology() const {
  std::string out = kJurisdictions;
  for (const auto& s : shards_) {
    out += "\n[[shard]]\nid = \"" + s.id + "\"\nengine = \"postgres\"\nregion = \"" +
           RegionOf(s.id) + "\"\ndsn = \"host=127.0.0.1 port=" +
           std::to_string(s.server->port()) + " dbname=" + s.db + " user=postgres\"\n";
  }
  for (const auto& t : kTenants) {
    out += "\n[[tenant]]\nid = \"" + std::string(t.tenant) + "\"\nallow = [\"" +
           t.jurisdiction + "\"]\nshard = \"" + t.shard + "\"\n";
  }
  return out;
}

std::map<std::string, std::string> PgwireCluster::ScalarOnEachShard(const std::string& sql) {
  std::map<std::string, std::string> out;
  for (auto& s : shards_) out[s.id] = s.server->Scalar(sql, s.db);
  return out;
}

void PgwireCluster::ExecOnEachShard(const std::string& sql) {
  for (auto& s : shards_) s.server->Exec(sql, s.db);
}

void PgwireTest::StartRouter(const std::string& settings, int workers) {
  setup_error_.clear();
  try {
    RouterOptions options;
    options.binary = DOMICILE_BINARY;
    options.topology = PgwireCluster::Get().Topology();
    options.settings = settings;
    options.workers = workers;
    router_ = std::make_unique<RouterProcess>(options);
  } catch (const std::exception& e) {
    setup_error_ = e.what();
  }
}

void PgwireTest::ChangeRouterCatalog(const std::function<CatalogChange(const ShardMap&)>& make) {
  auto store = SqliteCatalogStore::Open(router().dir().Sub("data") + "/catalog.db");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto map = (*store)->Load();
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  CommitOrFail(**store, make(*map));
}

void PgwireTest::SetUp() {
  ASSERT_TRUE(router_ != nullptr) << setup_error_;
  ASSERT_TRUE(router_->Running()) << "the router died before this test:\n" << router_->Log();
  cluster().ExecOnEachShard("TRUNCATE notes, bench_history, app_schema.widgets");
}

void PgwireTest::TearDown() {
  // A router crash is a bug whatever the test checked.
  if (router_) {
    EXPECT_TRUE(router_->Running()) << "the router died:\n" << router_->Log();
  }
}

ProcessResult PgwireTest::Psql(const std::vector<std::string>& args,
                               const std::vector<std::string>& env,
                               const std::string& stdin_text, const std::string& user) {
  std::vector<std::string> argv = {"psql", router_->Conninfo(user), "-X", "-At", "-v",
                                   "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.env = env;
  // No stray settings from the developer's environment.
  options.env.insert(options.env.begin(), {"PGOPTIONS", "PGPASSWORD", "PGSERVICE"});
  options.stdin_text = stdin_text;
  return RunProcess(argv, options, std::chrono::seconds(30));
}

}  // namespace domicile::testing
