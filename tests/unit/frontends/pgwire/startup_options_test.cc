// ParseStartupOptions: the -c / -- settings a client passes in the startup `options`.
#include "frontends/pgwire/startup_options.h"

#include <gtest/gtest.h>

namespace domicile::pgwire {
namespace {

TEST(PgwireStartupOptionsTest, ParsesTenantSetting) {
  Result<std::vector<StartupSetting>> s = ParseStartupOptions("-c domicile.tenant=acme");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0], (StartupSetting{"domicile.tenant", "acme"}));
  EXPECT_EQ(FindSetting(*s, "domicile.tenant"), "acme");
  EXPECT_EQ(FindSetting(*s, "search_path"), "");
}

TEST(PgwireStartupOptionsTest, AcceptsAllSpellingsAndEscapes) {
  Result<std::vector<StartupSetting>> s = ParseStartupOptions(
      "  -csearch_path=a,b --statement-timeout=5s\t-c application_name=my\\ app -c x=1 -c x=2");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 5u);
  EXPECT_EQ(FindSetting(*s, "search_path"), "a,b");
  EXPECT_EQ(FindSetting(*s, "statement_timeout"), "5s");
  EXPECT_EQ(FindSetting(*s, "application_name"), "my app");
  EXPECT_EQ(FindSetting(*s, "x"), "2");
  EXPECT_TRUE(ParseStartupOptions("").ok());
  EXPECT_TRUE(ParseStartupOptions("   ")->empty());
}

TEST(PgwireStartupOptionsTest, RejectsWhatItCannotForward) {
  for (std::string_view bad : {"-c", "-c novalue", "-B 100", "plain", "--=x", "-c =x"}) {
    EXPECT_EQ(ParseStartupOptions(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace domicile::pgwire
