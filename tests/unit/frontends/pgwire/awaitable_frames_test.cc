#include "frontends/pgwire/awaitable_frames.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "frontends/pgwire/asio.h"

namespace domicile::pgwire {
namespace {

using Pool = AwaitableFramePool;

TEST(AwaitableFramePoolTest, AFreedFrameServesTheNextOfItsSizeClass) {
  void* a = Pool::Allocate(100);
  Pool::Deallocate(a, 100);
  void* b = Pool::Allocate(128);  // same 64-byte class (65..128)
  EXPECT_EQ(b, a);
  void* c = Pool::Allocate(100);  // the class is empty again: fresh memory
  EXPECT_NE(c, b);
  Pool::Deallocate(b, 128);
  Pool::Deallocate(c, 100);
}

TEST(AwaitableFramePoolTest, KeepsAtMostItsQuotaPerClassAndPoolsNoHugeFrames) {
  std::thread([] {  // a thread of its own: empty lists to start with
    std::vector<void*> frames;
    for (size_t i = 0; i < Pool::kFramesPerClass + 4; ++i) frames.push_back(Pool::Allocate(300));
    std::set<void*> freed(frames.begin(), frames.end());
    for (void* f : frames) Pool::Deallocate(f, 300);
    size_t reused = 0;
    frames.clear();
    for (size_t i = 0; i < Pool::kFramesPerClass + 4; ++i) {
      frames.push_back(Pool::Allocate(300));
      reused += freed.count(frames.back());
    }
    EXPECT_GE(reused, Pool::kFramesPerClass);  // at least the kept ones come back
    for (void* f : frames) Pool::Deallocate(f, 300);

    const size_t huge = Pool::kGranule * Pool::kClasses + 1;
    void* h = Pool::Allocate(huge);
    Pool::Deallocate(h, huge);
    void* small = Pool::Allocate(Pool::kGranule * Pool::kClasses);  // largest pooled class
    Pool::Deallocate(small, Pool::kGranule * Pool::kClasses);
  })
      .join();
}

// Asio's awaitable frames come from the pool: nested coroutines, awaited again and again on one
// io_context, run to their results with their frames recycled.
awaitable<int> Leaf(int x) { co_return x + 1; }
awaitable<int> Middle(int x) {
  int a = co_await Leaf(x);
  int b = co_await Leaf(a);
  co_return b;
}

TEST(AwaitableFramePoolTest, AsioCoroutinesRunOnPooledFrames) {
  asio::io_context io;
  int total = 0;
  const size_t reused_before = Pool::ReusedOnThisThread();
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        for (int i = 0; i < 1000; ++i) total += co_await Middle(i);
      },
      asio::detached);
  io.run();
  EXPECT_EQ(total, 1000 * 999 / 2 + 2 * 1000);
  // Three frames per round (Middle and two Leafs) after the first: all from the lists.
  EXPECT_GE(Pool::ReusedOnThisThread() - reused_before, 3u * 999);
}

}  // namespace
}  // namespace domicile::pgwire
