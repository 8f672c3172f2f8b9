// StatementKind and CommandTag: the PostgreSQL-style tags SqliteShardStorage reports.
#include "adapters/storage/sqlite/sqlite_command_tag.h"

#include <gtest/gtest.h>

namespace domicile {
namespace {

TEST(SqliteCommandTagTest, KindsFollowPostgresNames) {
  EXPECT_EQ(StatementKind("select 1"), "SELECT");
  EXPECT_EQ(StatementKind("  -- note\n/* c */ INSERT INTO t VALUES (1)"), "INSERT");
  EXPECT_EQ(StatementKind("REPLACE INTO t VALUES (1)"), "INSERT");
  EXPECT_EQ(StatementKind("VALUES (1), (2)"), "SELECT");
  EXPECT_EQ(StatementKind("WITH x AS (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM x)"),
            "DELETE");
  EXPECT_EQ(StatementKind("WITH \"insert\" AS (SELECT 'update') SELECT * FROM \"insert\""),
            "SELECT");
  EXPECT_EQ(StatementKind("create temp table t (a)"), "CREATE TABLE");
  EXPECT_EQ(StatementKind("CREATE UNIQUE INDEX i ON t (a)"), "CREATE INDEX");
  EXPECT_EQ(StatementKind("DROP TABLE IF EXISTS t"), "DROP TABLE");
  EXPECT_EQ(StatementKind("begin immediate"), "BEGIN");
  EXPECT_EQ(StatementKind("END"), "COMMIT");
  EXPECT_EQ(StatementKind(" \n "), "");
}

TEST(SqliteCommandTagTest, TagsCarryCounts) {
  EXPECT_EQ(CommandTag("INSERT", 3), "INSERT 0 3");
  EXPECT_EQ(CommandTag("UPDATE", 0), "UPDATE 0");
  EXPECT_EQ(CommandTag("DELETE", 2), "DELETE 2");
  EXPECT_EQ(CommandTag("SELECT", 5), "SELECT 5");
  EXPECT_EQ(CommandTag("CREATE TABLE", 0), "CREATE TABLE");
}

}  // namespace
}  // namespace domicile
