#include "frontends/pgwire/recent_analyses.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace domicile::pgwire {
namespace {

std::shared_ptr<const StatementInfo> InfoFor(std::string_view text) {
  auto info = std::make_shared<StatementInfo>();
  info->statements.emplace_back();
  info->statements.back().text = std::string(text);
  return info;
}

const StatementInfo* Lookup(const RecentAnalyses& recent, std::string_view text) {
  auto* hit = recent.Find(text, RecentAnalyses::Hash(text));
  return hit == nullptr ? nullptr : hit->get();
}

TEST(RecentAnalysesTest, FindsOnlyTheExactTextInserted) {
  RecentAnalyses recent;
  EXPECT_EQ(Lookup(recent, "SELECT 1"), nullptr);
  auto info = InfoFor("SELECT $1");
  recent.Insert("SELECT $1", RecentAnalyses::Hash("SELECT $1"), info);
  EXPECT_EQ(Lookup(recent, "SELECT $1"), info.get());
  EXPECT_EQ(Lookup(recent, "SELECT $2"), nullptr);
  EXPECT_EQ(Lookup(recent, "select $1"), nullptr);
  EXPECT_EQ(Lookup(recent, "SELECT $1 "), nullptr);
}

TEST(RecentAnalysesTest, AnEqualHashIsNotEnough) {
  RecentAnalyses recent;
  auto info = InfoFor("UPDATE t SET a = $1");
  // Stored under another text's hash: the text compare must still refuse a different text.
  recent.Insert("UPDATE t SET a = $1", RecentAnalyses::Hash("DELETE FROM t"), info);
  EXPECT_EQ(recent.Find("DELETE FROM t", RecentAnalyses::Hash("DELETE FROM t")), nullptr);
}

TEST(RecentAnalysesTest, ACycleOfStatementsStaysAndTheOldestGoesFirst) {
  RecentAnalyses recent;
  std::vector<std::shared_ptr<const StatementInfo>> infos;
  auto text = [](size_t i) { return "SELECT " + std::to_string(i) + " FROM t WHERE k = $1"; };
  for (size_t i = 0; i < RecentAnalyses::kCapacity; ++i) {
    infos.push_back(InfoFor(text(i)));
    recent.Insert(text(i), RecentAnalyses::Hash(text(i)), infos.back());
  }
  for (size_t i = 0; i < RecentAnalyses::kCapacity; ++i) {
    EXPECT_EQ(Lookup(recent, text(i)), infos[i].get()) << i;
  }
  // One more: the first inserted goes, the rest stay.
  auto extra = InfoFor("SELECT extra");
  recent.Insert("SELECT extra", RecentAnalyses::Hash("SELECT extra"), extra);
  EXPECT_EQ(Lookup(recent, text(0)), nullptr);
  EXPECT_EQ(Lookup(recent, "SELECT extra"), extra.get());
  for (size_t i = 1; i < RecentAnalyses::kCapacity; ++i) {
    EXPECT_EQ(Lookup(recent, text(i)), infos[i].get()) << i;
  }
}

}  // namespace
}  // namespace domicile::pgwire
