// ClientSession's pure helpers; the session itself is tested end to end (integration/pgwire).
#include "frontends/pgwire/client_session.h"

#include <gtest/gtest.h>

namespace domicile::pgwire {
namespace {

TEST(PgwireClientSessionTest, PlainBeginsGoTheQuickWayEverythingElseIsChecked) {
  for (const char* plain : {"BEGIN", "begin", "Begin Work", "BEGIN TRANSACTION",
                            "START TRANSACTION", "  begin\n\ttransaction ; ", "BEGIN;"}) {
    EXPECT_FALSE(ClientSession::CheckedBegin(plain)) << plain;
  }
  for (const char* options :
       {"BEGIN READ WRITE", "BEGIN ISOLATION LEVEL SERIALIZABLE", "START TRANSACTION READ ONLY",
        "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, DEFERRABLE", "/* app */ BEGIN",
        "BEGIN -- why\n", "BEGINX", "BEGIN WORKS", ""}) {
    EXPECT_TRUE(ClientSession::CheckedBegin(options)) << options;
  }
}

}  // namespace
}  // namespace domicile::pgwire
