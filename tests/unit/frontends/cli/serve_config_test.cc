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

}  // namespace
}  // namespace domicile::cli
