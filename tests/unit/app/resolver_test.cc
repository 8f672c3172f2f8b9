#include "app/resolver.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "app/catalog_service.h"
#include "fakes/in_memory_catalog_store.h"

namespace domicile {
namespace {

using testing::InMemoryCatalogStore;

Topology DemoTopology() {
  Topology t;
  t.source = "test.toml";
  t.jurisdictions.push_back({{"EU", "European Union", {"aws:eu-central-1"}}, 1});
  t.jurisdictions.push_back({{"BR", "Brazil", {"aws:sa-east-1"}}, 2});
  Shard eu;
  eu.id = "eu-1";
  eu.region = "aws:eu-central-1";
  eu.address = "host=127.0.0.1 dbname=eu";
  Shard br = eu;
  br.id = "br-1";
  br.region = "aws:sa-east-1";
  t.shards.push_back({eu, 3});
  t.shards.push_back({br, 4});
  t.tenants.push_back({"coop-lisboa", {"EU"}, std::nullopt, 5});
  return t;
}

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(CatalogService(store_).ApplyTopology(DemoTopology()).ok()); }
  InMemoryCatalogStore store_;
};

TEST_F(ResolverTest, StartLoadsTheCatalogAndLooksUpTenants) {
  Resolver resolver(store_);
  ASSERT_TRUE(resolver.Start().ok());
  auto route = resolver.Lookup("coop-lisboa");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->shard->id, "eu-1");
  EXPECT_EQ(resolver.Lookup("COOP-Lisboa")->shard->id, "eu-1");  // ids are case-insensitive
  EXPECT_EQ(resolver.version(), 1u);
}

TEST_F(ResolverTest, UnknownTenantIsATypedNotFound) {
  Resolver resolver(store_);
  ASSERT_TRUE(resolver.Start().ok());
  auto route = resolver.Lookup("nobody");
  ASSERT_FALSE(route.ok());
  EXPECT_EQ(route.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(route.status().message(), "unknown tenant 'nobody'");
}

TEST_F(ResolverTest, StartFailsWhenTheStoreIsDown) {
  store_.FailNextCalls(1);
  Resolver resolver(store_);
  EXPECT_EQ(resolver.Start().code(), StatusCode::kUnavailable);
}

TEST_F(ResolverTest, RefreshPicksUpANewVersion) {
  Resolver resolver(store_);
  ASSERT_TRUE(resolver.Start().ok());
  ASSERT_TRUE(CatalogService(store_).AddTenant("coop-rio", {"BR"}, std::nullopt).ok());
  EXPECT_FALSE(resolver.Lookup("coop-rio").ok());  // not yet seen
  ASSERT_TRUE(resolver.Refresh().ok());
  EXPECT_EQ(resolver.Lookup("coop-rio")->shard->id, "br-1");
  EXPECT_EQ(resolver.version(), 2u);
}

TEST_F(ResolverTest, BackgroundRefresherSeesChangesWithinTheTtl) {
  Resolver resolver(store_, ResolverOptions{std::chrono::milliseconds(20)});
  ASSERT_TRUE(resolver.Start().ok());
  ASSERT_TRUE(CatalogService(store_).AddTenant("coop-rio", {"BR"}, std::nullopt).ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!resolver.Lookup("coop-rio").ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(resolver.Lookup("coop-rio").ok());
}

// Whether `resolver` knows `tenant` within `timeout`, asked every 5 ms.
bool SeesWithin(const Resolver& resolver, const std::string& tenant,
                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (resolver.Lookup(tenant).ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return resolver.Lookup(tenant).ok();
}

ResolverOptions Options(int ttl_ms, int after_signal_ms, int watched_poll_ms) {
  ResolverOptions options;
  options.ttl = std::chrono::milliseconds(ttl_ms);
  options.after_signal = std::chrono::milliseconds(after_signal_ms);
  options.watched_poll = std::chrono::milliseconds(watched_poll_ms);
  return options;
}

constexpr int kHour = 3600 * 1000;

TEST_F(ResolverTest, WithoutAChangeSignalTheStoreIsPolledEveryTtl) {
  Resolver resolver(store_, Options(20, kHour, kHour));
  ASSERT_TRUE(resolver.Start().ok());
  EXPECT_EQ(resolver.change_detection(),
            "polled every 20 ms (the catalog store has no change signal)");
  ASSERT_TRUE(CatalogService(store_).AddTenant("coop-rio", {"BR"}, std::nullopt).ok());
  EXPECT_TRUE(SeesWithin(resolver, "coop-rio", std::chrono::seconds(5)));
}

TEST_F(ResolverTest, AWatchThatCannotBeSetUpFallsBackToPolling) {
  store_.FailWatch(Unavailable("inotify_init1: Too many open files"));
  Resolver resolver(store_, Options(20, kHour, kHour));
  ASSERT_TRUE(resolver.Start().ok());
  EXPECT_EQ(resolver.change_detection(), "polled every 20 ms (inotify_init1: Too many open files)");
  ASSERT_TRUE(CatalogService(store_).AddTenant("coop-rio", {"BR"}, std::nullopt).ok());
  EXPECT_TRUE(SeesWithin(resolver, "coop-rio", std::chrono::seconds(5)));
}

// The point of the watch: an idle router leaves the store alone, and a signal brings a change
// in at once.
TEST_F(ResolverTest, WithAWatchTheStoreIsAskedWhenItSignals) {
  store_.OfferWatch();
  Resolver resolver(store_, Options(20, 100, kHour));
  ASSERT_TRUE(resolver.Start().ok());
  EXPECT_EQ(resolver.change_detection(), "watched");
  const int checks = store_.version_checks();  // Start's own
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(store_.version_checks(), checks);
  // A commit nobody signals is not seen (this watch misses nothing, so none happens for real).
  ASSERT_TRUE(CatalogService(store_).AddTenant("coop-rio", {"BR"}, std::nullopt).ok());
  EXPECT_FALSE(SeesWithin(resolver, "coop-rio", std::chrono::milliseconds(200)));
  store_.SignalChange();
  EXPECT_TRUE(SeesWithin(resolver, "coop-rio", std::chrono::seconds(5)));
}

// A file store signals a commit's write before the commit is visible: after a signal the store
// is asked every ttl for a while, so a commit that becomes visible just after is seen too.
TEST_F(ResolverTest, AfterASignalTheStoreIsAskedEveryTtlForAWhile) {
  store_.OfferWatch();
  Resolver resolver(store_, Options(20, 60 * 1000, kHour));
  ASSERT_TRUE(resolver.Start().ok());
  const int checks = store_.version_checks();
  store_.SignalChange();  // the write, with nothing visible yet
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (store_.version_checks() == checks && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GT(store_.version_checks(), checks);
  ASSERT_TRUE(CatalogService(store_).AddTenant("coop-rio", {"BR"}, std::nullopt).ok());
  EXPECT_TRUE(SeesWithin(resolver, "coop-rio", std::chrono::seconds(5)));
}

// A change the watch missed is still seen, within watched_poll.
TEST_F(ResolverTest, WithAWatchTheStoreIsStillAskedNowAndThen) {
  store_.OfferWatch();
  Resolver resolver(store_, Options(20, 0, 100));
  ASSERT_TRUE(resolver.Start().ok());
  ASSERT_TRUE(CatalogService(store_).AddTenant("coop-rio", {"BR"}, std::nullopt).ok());
  EXPECT_TRUE(SeesWithin(resolver, "coop-rio", std::chrono::seconds(5)));
}

TEST_F(ResolverTest, StopEndsTheRefreshersWaitAtOnce) {
  store_.OfferWatch();
  auto resolver = std::make_unique<Resolver>(store_, Options(20, 0, kHour));
  ASSERT_TRUE(resolver->Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // into its wait
  auto start = std::chrono::steady_clock::now();
  resolver.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(ResolverTest, KeepsTheLastGoodMapWhileTheStoreIsDown) {
  Resolver resolver(store_);
  ASSERT_TRUE(resolver.Start().ok());
  store_.FailNextCalls(1);
  EXPECT_EQ(resolver.Refresh().code(), StatusCode::kUnavailable);
  EXPECT_EQ(resolver.last_refresh_status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(resolver.Lookup("coop-lisboa").ok());
  EXPECT_TRUE(resolver.Refresh().ok());
  EXPECT_TRUE(resolver.last_refresh_status().ok());
}

TEST_F(ResolverTest, NeverGoesBackToAnOlderVersion) {
  Resolver resolver(store_);
  ASSERT_TRUE(resolver.Start().ok());
  auto v1 = resolver.Snapshot();
  ASSERT_TRUE(CatalogService(store_).AddTenant("coop-rio", {"BR"}, std::nullopt).ok());
  ASSERT_TRUE(resolver.Refresh().ok());
  resolver.Publish(v1);
  EXPECT_EQ(resolver.version(), 2u);
  EXPECT_TRUE(resolver.Lookup("coop-rio").ok());
}

TEST_F(ResolverTest, ReadersOnManyThreadsSeeEveryPublishedVersion) {
  Resolver resolver(store_);
  ASSERT_TRUE(resolver.Start().ok());
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        if (!resolver.Lookup("coop-lisboa").ok()) ++errors;
      }
    });
  }
  CatalogService service(store_);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(service.AddTenant("t" + std::to_string(i), {"EU"}, std::nullopt).ok());
    ASSERT_TRUE(resolver.Refresh().ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_TRUE(resolver.Lookup("t19").ok());
}

}  // namespace
}  // namespace domicile
