#include "frontends/pgwire/fifo_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace domicile::pgwire {
namespace {

TEST(FifoQueueTest, PopsInTheOrderPushedAcrossRefills) {
  FifoQueue<std::string> q;
  EXPECT_TRUE(q.empty());
  int next_in = 0;
  int next_out = 0;
  // Interleave pushes and pops the way a session does: a batch in, answers out, repeat.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round % 7 + 1; ++i) q.push_back("item" + std::to_string(next_in++));
    int pops = round % 3 == 0 ? static_cast<int>(q.size()) : 1;
    for (int i = 0; i < pops; ++i) {
      ASSERT_FALSE(q.empty());
      EXPECT_EQ(q.front(), "item" + std::to_string(next_out++));
      q.pop_front();
    }
  }
  while (!q.empty()) {
    EXPECT_EQ(q.front(), "item" + std::to_string(next_out++));
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_EQ(q.size(), 0u);
}

TEST(FifoQueueTest, ClearEmptiesAndTheQueueIsUsableAgain) {
  FifoQueue<int> q;
  q.push_back(1);
  q.push_back(2);
  q.pop_front();
  q.clear();
  EXPECT_TRUE(q.empty());
  q.push_back(3);
  EXPECT_EQ(q.front(), 3);
  EXPECT_EQ(q.size(), 1u);
}

}  // namespace
}  // namespace domicile::pgwire
