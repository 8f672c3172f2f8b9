// ServerPools without a server: which address a shard's pool takes, and when a pool replaced
// by a changed address is let go.
#include "frontends/pgwire/server_pool.h"

#include <gtest/gtest.h>

#include <chrono>

namespace domicile::pgwire {
namespace {

Shard ShardAt(const std::string& dbname) {
  Shard shard;
  shard.id = "eu-1";
  shard.address = "host=127.0.0.1 port=1 dbname=" + dbname;
  return shard;
}

class ServerPoolsTest : public ::testing::Test {
 protected:
  // Asks for an idle connection (there is none): the pool for `shard` as of catalog
  // `version` is made or replaced on the way.
  void Ask(const Shard& shard, uint64_t version) {
    EXPECT_EQ(pools_.TryAcquireIdle(shard, version, io_.get_executor()), nullptr);
  }

  asio::io_context io_;
  ServerPools pools_{io_, PoolSettings{}};
};

TEST_F(ServerPoolsTest, AChangedAddressRetiresThePoolAndTheRecyclerDropsIt) {
  Ask(ShardAt("a"), 1);
  Ask(ShardAt("a"), 2);  // a newer catalog, the same address: the same pool
  EXPECT_EQ(pools_.retired_pools(), 0u);
  Ask(ShardAt("b"), 3);
  EXPECT_EQ(pools_.retired_pools(), 1u);
  // No session holds a lease on it: the recycler (every second) lets it go.
  pools_.StartJanitor();
  io_.run_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(pools_.retired_pools(), 0u);
  pools_.Stop();
}

// During a catalog refresh sessions may route with different versions for a moment: one
// still on the older catalog must not take the pool back to the old address (closing the
// new one's connections), while a newer catalog may name any address, an earlier one too.
TEST_F(ServerPoolsTest, AnOlderCatalogDoesNotTakeThePoolBackToTheOldAddress) {
  Ask(ShardAt("a"), 1);
  Ask(ShardAt("b"), 2);
  ASSERT_EQ(pools_.retired_pools(), 1u);
  Ask(ShardAt("a"), 1);
  EXPECT_EQ(pools_.retired_pools(), 1u);
  Ask(ShardAt("a"), 3);
  EXPECT_EQ(pools_.retired_pools(), 2u);
}

}  // namespace
}  // namespace domicile::pgwire
