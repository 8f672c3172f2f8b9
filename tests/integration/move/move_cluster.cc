// MoveCluster: shard servers, catalog and router for the move suites; TenantWriter: load.
#include "integration/move/move_cluster.h"

#include <chrono>
#include <random>
#include <stdexcept>

#include "support/pg_client.h"

namespace domicile::testing {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE accounts (tenant_id text NOT NULL, id int NOT NULL, balance bigint NOT NULL,
                       note text, PRIMARY KEY (tenant_id, id));
CREATE TABLE events (tenant_id text NOT NULL, id int NOT NULL, kind text NOT NULL,
                     PRIMARY KEY (tenant_id, id));
)";

struct ShardInfo {
  const char* id;
  char server;  // 'a', 'b', or '-' (no server: a closed port)
  const char* db;
  const char* region;
};
constexpr ShardInfo kShards[] = {
    {"eu-a", 'a', "eua", "aws:eu-central-1"}, {"eu-b", 'b', "eub", "aws:eu-west-1"},
    {"us-1", 'a', "us1", "gcp:us-central1"},  {"eu-c", 'b', "euc", "aws:eu-west-1"},
    {"eu-down", '-', "down", "aws:eu-west-1"},
};

const ShardInfo& Info(const std::string& shard) {
  for (const auto& s : kShards) {
    if (shard == s.id) return s;
  }
  throw std::runtime_error("no shard " + shard);
}

int ClosedPort() {
  // A port nothing listens on: bind, read the number, close.
  for (int port = 47000; port < 48000; ++port) {
    if (!LoopbackAccepts(port)) return port;
  }
  return 47999;
}

}  // namespace

MoveCluster::MoveCluster() {
  a_ = std::make_unique<PgServer>();
  b_ = std::make_unique<PgServer>();
  std::string topology = R"(
[[jurisdiction]]
code = "EU"
regions = ["aws:eu-central-1", "aws:eu-west-1"]

[[jurisdiction]]
code = "US"
regions = ["gcp:us-central1"]
)";
  const int closed = ClosedPort();
  for (const auto& s : kShards) {
    std::string dsn;
    if (s.server == '-') {
      dsn = "host=127.0.0.1 port=" + std::to_string(closed) + " dbname=down user=postgres connect_timeout=2";
    } else {
      PgServer& server = s.server == 'a' ? *a_ : *b_;
      server.CreateDatabase(s.db);
      std::string schema = kSchema;
      if (std::string(s.id) == "eu-c") schema = schema.substr(0, schema.find("CREATE TABLE events"));
      server.Exec(schema, s.db);
      dsn = "host=127.0.0.1 port=" + std::to_string(server.port()) + " dbname=" + s.db +
            " user=postgres";
    }
    topology += "\n[[shard]]\nid = \"" + std::string(s.id) + "\"\nengine = \"postgres\"\nregion = \"" +
                s.region + "\"\ndsn = \"" + dsn + "\"\n";
  }
  const std::pair<const char*, const char*> tenants[] = {
      {"m1", "eu-a"}, {"m2", "eu-a"}, {"m3", "eu-a"}, {"s1", "eu-b"}, {"u1", "us-1"}, {"z1", "eu-down"}};
  for (const auto& [tenant, shard] : tenants) {
    const bool us = std::string(shard) == "us-1";
    topology += "\n[[tenant]]\nid = \"" + std::string(tenant) + "\"\nallow = [\"" +
                (us ? "US" : "EU") + "\"]\nshard = \"" + shard + "\"\n";
  }
  RouterOptions options;
  options.binary = DOMICILE_BINARY;
  options.topology = topology;
  options.settings = "[routing]\ncatalog_ttl_ms = 20\nhold_timeout_ms = 10000\n";
  router_ = std::make_unique<RouterProcess>(options);
}

MoveCluster::~MoveCluster() = default;

PgServer& MoveCluster::ServerOf(const std::string& shard) {
  return Info(shard).server == 'a' ? *a_ : *b_;
}
std::string MoveCluster::DbOf(const std::string& shard) const { return Info(shard).db; }
std::string MoveCluster::Scalar(const std::string& shard, const std::string& sql) {
  return ServerOf(shard).Scalar(sql, DbOf(shard));
}
PgRows MoveCluster::Rows(const std::string& shard, const std::string& sql) {
  return ServerOf(shard).Exec(sql, DbOf(shard));
}
std::string MoveCluster::DataDir() const { return router_->dir().Sub("data"); }
std::string MoveCluster::RouterConninfo(const std::string& tenant) const {
  return router_->Conninfo() + " options='-c domicile.tenant=" + tenant + "'";
}

ProcessResult MoveCluster::Domicile(std::vector<std::string> args,
                                    const std::vector<std::string>& env,
                                    std::chrono::seconds timeout) {
  std::vector<std::string> argv = {DOMICILE_BINARY, "--data", DataDir()};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.env = env;
  return RunProcess(argv, options, timeout);
}

std::string MoveCluster::HomeOf(const std::string& tenant) {
  ProcessResult r = Domicile({"where", tenant});
  const size_t at = r.out.find("shard ");
  if (r.exit_code != 0 || at == std::string::npos) return "?";
  return r.out.substr(at + 6, r.out.find(',', at) - at - 6);
}

void MoveCluster::Seed(const std::string& shard, const std::string& tenant, int rows) {
  Rows(shard, "INSERT INTO accounts SELECT '" + tenant + "', g, g * 10, 'seed ' || g "
              "FROM generate_series(1, " + std::to_string(rows) + ") g;"
              "INSERT INTO events SELECT '" + tenant + "', g, 'seed' "
              "FROM generate_series(1, " + std::to_string(rows) + ") g;");
}

std::map<int, long> AccountsOn(MoveCluster& cluster, const std::string& shard,
                               const std::string& tenant) {
  std::map<int, long> out;
  for (const auto& row : cluster.Rows(shard, "SELECT id, balance FROM accounts WHERE tenant_id = '" +
                                                  tenant + "'")) {
    out[std::stoi(*row[0])] = std::stol(*row[1]);
  }
  return out;
}

std::set<int> EventsOn(MoveCluster& cluster, const std::string& shard, const std::string& tenant) {
  std::set<int> out;
  for (const auto& row : cluster.Rows(shard, "SELECT id FROM events WHERE tenant_id = '" + tenant + "'")) {
    out.insert(std::stoi(*row[0]));
  }
  return out;
}

TenantWriter::TenantWriter(std::string conninfo, std::string tenant, int first_id)
    : conninfo_(std::move(conninfo)), tenant_(std::move(tenant)), next_id_(first_id) {}

TenantWriter::~TenantWriter() { Stop(); }

void TenantWriter::Start() {
  PgClient client(conninfo_);
  if (!client.connected()) throw std::runtime_error("writer cannot connect: " + client.error());
  PgResult accounts = client.Exec("SELECT id, balance FROM accounts WHERE tenant_id = '" + tenant_ + "'");
  PgResult events = client.Exec("SELECT id FROM events WHERE tenant_id = '" + tenant_ + "'");
  if (!accounts.ok || !events.ok) throw std::runtime_error("writer cannot read its tenant");
  for (const auto& row : accounts.rows) accounts_[std::stoi(*row[0])] = std::stol(*row[1]);
  for (const auto& row : events.rows) events_.insert(std::stoi(*row[0]));
  thread_ = std::thread([this] { Loop(); });
}

void TenantWriter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::map<int, long> TenantWriter::accounts() const {
  std::lock_guard lock(mu_);
  return accounts_;
}
std::set<int> TenantWriter::events() const {
  std::lock_guard lock(mu_);
  return events_;
}
std::string TenantWriter::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void TenantWriter::Loop() {
  std::mt19937 rng(std::hash<std::string>{}(tenant_));
  auto client = std::make_unique<PgClient>(conninfo_);
  const std::string t = "'" + tenant_ + "'";
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (!client->connected()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      client = std::make_unique<PgClient>(conninfo_);
      continue;
    }
    // The statements of one transaction, and what the model becomes if COMMIT succeeds.
    std::vector<std::string> statements;
    std::function<void()> apply;
    const int op = rng() % 10;
    int existing = -1, other = -1;
    {
      std::lock_guard lock(mu_);
      if (!accounts_.empty()) {
        auto it = accounts_.begin();
        std::advance(it, rng() % accounts_.size());
        existing = it->first;
      }
    }
    if (op < 4 || existing < 0) {
      const int id = next_id_++;
      statements = {"INSERT INTO accounts VALUES (" + t + ", " + std::to_string(id) + ", 0, 'new')",
                    "INSERT INTO events VALUES (" + t + ", " + std::to_string(id) + ", 'open')"};
      apply = [this, id] { accounts_[id] = 0; events_.insert(id); };
    } else if (op < 8) {
      statements = {"UPDATE accounts SET balance = balance + 1 WHERE tenant_id = " + t +
                    " AND id = " + std::to_string(existing)};
      apply = [this, existing] { accounts_[existing] += 1; };
    } else if (op == 8) {
      statements = {"DELETE FROM accounts WHERE tenant_id = " + t + " AND id = " +
                    std::to_string(existing)};
      apply = [this, existing] { accounts_.erase(existing); };
    } else {
      other = next_id_++;  // an update that changes the primary key
      statements = {"UPDATE accounts SET id = " + std::to_string(other) + " WHERE tenant_id = " +
                    t + " AND id = " + std::to_string(existing)};
      apply = [this, existing, other] {
        accounts_[other] = accounts_[existing];
        accounts_.erase(existing);
      };
    }
    bool failed = false;
    if (!client->Exec("BEGIN").ok) failed = true;
    for (size_t i = 0; !failed && i < statements.size(); ++i) {
      PgResult r = client->Exec(statements[i]);
      if (!r.ok) {
        failed = true;
        std::lock_guard lock(mu_);
        last_error_ = r.Describe();
      }
    }
    if (failed) {
      ++errors_;
      client->Exec("ROLLBACK");
      continue;
    }
    PgResult committed = client->Exec("COMMIT");
    if (committed.ok) {
      std::lock_guard lock(mu_);
      apply();
      ++acked_;
    } else {
      // COMMIT without an answer: the write may or may not have landed.
      (client->connected() ? errors_ : ambiguous_)++;
      std::lock_guard lock(mu_);
      last_error_ = "COMMIT: " + committed.Describe();
    }
  }
}

}  // namespace domicile::testing
