#include "frontends/cli/serve_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "support/temp_dir.h"

namespace domicile::cli {
namespace {

class ServeConfigTest : public ::testing::Test {
 protected:
  Result<ServeConfig> Load(const std::string& toml) {
    std::string path = dir_.Sub("settings.toml");
    std::ofstream(path) << toml;
    return LoadServeConfig(path);
  }
  testing::TempDir dir_;
};

TEST_F(ServeConfigTest, NetworkThreadsDefaultToHalfTheCoresAtLeastOne) {
  auto config = Load("[pool]\nmax_size = 5\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->workers, 0);  // resolved by `serve` with DefaultWorkers()
  unsigned cores = std::thread::hardware_concurrency();
  EXPECT_EQ(DefaultWorkers(), cores >= 2 ? static_cast<int>(cores / 2) : 1);
  EXPECT_GE(DefaultWorkers(), 1);
}

TEST_F(ServeConfigTest, ReadsEveryServerAndPoolSetting) {
  auto config = Load(R"(
[server]
listen = "127.0.0.1:7000"
workers = 3
embedded_threads = 4
[pool]
mode = "session"
max_size = 7
acquire_timeout_ms = 250
[routing]
tenant_key = "org_id"
[tables.orders]
tenant_key = "customer_id"
)");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->listen_port, 7000);
  EXPECT_EQ(config->workers, 3);
  EXPECT_EQ(config->embedded_threads, 4);
  EXPECT_EQ(config->router.pool.mode, pgwire::PoolMode::kSession);
  EXPECT_EQ(config->router.pool.max_size, 7u);
  EXPECT_EQ(config->router.pool.acquire_timeout.count(), 250);
  EXPECT_EQ(config->routing.default_key_column, "org_id");
  EXPECT_EQ(config->routing.table_key_columns.at("orders"), "customer_id");
}

TEST_F(ServeConfigTest, ListsEveryProblemWithItsLine) {
  auto config = Load("[server]\nworkers = 0\nwrokers = 2\n[pool]\nmode = \"statement\"\n");
  ASSERT_FALSE(config.ok());
  const std::string& message = config.status().message();
  EXPECT_NE(message.find("settings.toml:2:"), std::string::npos) << message;  // workers = 0
  EXPECT_NE(message.find("wrokers"), std::string::npos) << message;          // typo
  EXPECT_NE(message.find("settings.toml:5:"), std::string::npos) << message;  // mode
}

TEST_F(ServeConfigTest, KeepaliveTimesDefaultToTheOsAndAreBounded) {
  auto defaults = Load("[server]\nworkers = 1\n");
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->router.tcp_keepalives_idle, 0);  // 0: the OS's own time stays
  EXPECT_EQ(defaults->router.tcp_keepalives_interval, 0);
  EXPECT_EQ(defaults->router.tcp_keepalives_count, 0);

  auto set = Load(
      "[server]\ntcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\n"
      "tcp_keepalives_count = 3\n");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->router.tcp_keepalives_idle, 60);
  EXPECT_EQ(set->router.tcp_keepalives_interval, 10);
  EXPECT_EQ(set->router.tcp_keepalives_count, 3);

  auto bad = Load(
      "[server]\ntcp_keepalives_idle = -1\ntcp_keepalives_interval = 40000\n"
      "tcp_keepalives_count = 128\n");
  ASSERT_FALSE(bad.ok());
  const std::string& message = bad.status().message();
  EXPECT_NE(message.find("settings.toml:2: tcp_keepalives_idle must be an integer from 0 to 32767"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("settings.toml:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("settings.toml:4: tcp_keepalives_count must be an integer from 0 to 127"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace domicile::cli
