// GenericTenantMover between a real PostgreSQL database and a SQLite file, both ways: every
// value of int/bigint/text/float8/bool/bytea/numeric (and NULL) comes back exactly as it was.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "adapters/move/postgres/pg_tenant_tables.h"
#include "adapters/move/sqlite/sqlite_tenant_tables.h"
#include "adapters/storage/postgres/postgres_shard_storage.h"
#include "adapters/storage/sqlite/sqlite_shard_storage.h"
#include "app/generic_tenant_mover.h"
#include "support/pg_server.h"
#include "support/temp_dir.h"

namespace domicile::testing {
namespace {

constexpr int kBulkRows = 30000;

constexpr const char* kPgSchema = R"sql(
CREATE TABLE kinds (tenant_id text NOT NULL, id integer NOT NULL, big bigint, label text,
                    score float8, flag boolean, blob bytea, amount numeric(12,2),
                    PRIMARY KEY (tenant_id, id));
INSERT INTO kinds VALUES
  ('t1', 1, 9223372036854775807, 'plain', 0.1, true, '\x00ff', 12.34),
  ('t1', 2, -9223372036854775808, '', -1.5e300, false, '\x', -0.01),
  ('t1', 3, NULL, NULL, NULL, NULL, NULL, NULL),
  ('t1', 4, 0, 'ünïcödé ✓', 'Infinity', true, '\xdeadbeef', 0),
  ('t1', 5, 42, 'quote '' and \ backslash', '-Infinity', false, '\x5c00', 9999999999.99),
  ('t1', 6, 1, E'tab\tnew\nline', 1e-300, true, 'abc'::bytea, 1),
  ('t1', 7, -1, 'pi', 3.141592653589793, false, '\x00', 3.14),
  ('t2', 1, 5, 'another tenant', 1, true, '\x01', 1);
INSERT INTO kinds SELECT 't1', g, g::bigint * 1000003, 'bulk row ' || g, g / 7.0, g % 2 = 0,
                         int8send(g::bigint), g / 100.0
FROM generate_series(100, 99 + )sql";

// Every value of tenant `t` as PostgreSQL prints it: the exactness check.
constexpr const char* kPgText =
    "SELECT id, big, label, score, flag, encode(blob, 'hex'), amount FROM kinds "
    "WHERE tenant_id = 't1' ORDER BY id";

class GenericRoundTripTest : public PgServerTest<GenericRoundTripTest> {
 protected:
  void SetUp() override {
    PgServerTest::SetUp();
    pg().Exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    pg().Exec(std::string(kPgSchema) + std::to_string(kBulkRows) + ") g");
  }

  GenericMoveShard Pg() {
    return {"shard eu-pg", std::make_unique<PostgresShardStorage>(pg().Dsn()),
            std::make_unique<pgmove::PostgresTenantTables>(pg().Dsn(), "shard eu-pg")};
  }
  GenericMoveShard Lite() {
    return {"shard eu-lite", std::make_unique<SqliteShardStorage>(lite_),
            std::make_unique<sqlitemove::SqliteTenantTables>(lite_, "shard eu-lite")};
  }

  // Plan (creating the target's tables), freeze, copy, verify, purge: what the saga does.
  // Returns the copy's rows per second.
  double Move(GenericTenantMover& mover, bool create_schema) {
    auto planned = mover.PlanTables(create_schema);
    EXPECT_TRUE(planned.ok()) << planned.status().ToString();
    if (!planned.ok()) return 0;
    EXPECT_TRUE(mover.CleanTarget().ok());
    Status fenced = mover.FenceSource(1, std::chrono::seconds(2));
    EXPECT_TRUE(fenced.ok()) << fenced.ToString();
    uint64_t rows = 0, bytes = 0;
    const auto started = std::chrono::steady_clock::now();
    Status copied = mover.Copy([](const SnapshotPoint&) { return Status(); },
                               [&](const CopyProgress& p) {
                                 rows += p.rows;
                                 bytes += p.bytes;
                                 return Status();
                               });
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_TRUE(copied.ok()) << copied.ToString();
    EXPECT_EQ(rows, static_cast<uint64_t>(kBulkRows + 7));
    std::cout << "  copied " << rows << " rows, " << bytes / 1e6 << " MB in " << seconds
              << " s: " << rows / seconds << " rows/s, " << bytes / 1e6 / seconds << " MB/s\n";
    auto checks = mover.VerifyFrozen({"kinds"});
    EXPECT_TRUE(checks.ok()) << checks.status().ToString();
    if (checks.ok()) {
      EXPECT_EQ((*checks)[0].source_rows, (*checks)[0].target_rows);
      EXPECT_EQ((*checks)[0].source_checksum, (*checks)[0].target_checksum);
    }
    EXPECT_TRUE(mover.PurgeSource().ok());
    return rows / seconds;
  }

  TempDir dir_{"domicile-round-trip"};
  std::string lite_ = dir_.Sub("lite.db");
};

TEST_F(GenericRoundTripTest, PostgresToSqliteAndBackKeepsEveryValueExactly) {
  const PgRows before = pg().Exec(kPgText);
  ASSERT_EQ(before.size(), static_cast<size_t>(kBulkRows + 7));

  GenericTenantMover there(Pg(), Lite(), {"m1", "t1", {}, RoutingRules{}});
  const double out_rate = Move(there, /*create_schema=*/true);
  EXPECT_EQ(pg().Scalar("SELECT count(*) FROM kinds WHERE tenant_id = 't1'"), "0");
  EXPECT_EQ(pg().Scalar("SELECT count(*) FROM kinds WHERE tenant_id = 't2'"), "1");

  // The SQLite side holds the same values, typed as PostgreSQL gave them.
  {
    SqliteShardStorage lite(lite_);
    PostgresShardStorage pgs(pg().Dsn());
    auto ls = lite.Open();
    ASSERT_TRUE(ls.ok());
    struct Collect final : RowSink {
      void OnColumns(const std::vector<Column>&) override {}
      bool OnRow(std::span<const Value> row) override {
        rows.emplace_back(row.begin(), row.end());
        return true;
      }
      std::vector<std::vector<Value>> rows;
    } on_lite;
    ASSERT_TRUE((*ls)
                    ->Execute("SELECT id, big, label, score, flag, blob FROM kinds WHERE id < 10 "
                              "ORDER BY id",
                              {}, &on_lite)
                    .ok());
    ASSERT_EQ(on_lite.rows.size(), 7u);
    EXPECT_EQ(on_lite.rows[0][1], Value(int64_t{9223372036854775807}));
    EXPECT_EQ(on_lite.rows[0][4], Value(true));
    EXPECT_EQ(on_lite.rows[1][2], Value(std::string()));
    EXPECT_EQ(on_lite.rows[1][5], Value(Bytes{}));
    EXPECT_EQ(on_lite.rows[2][1], Value(std::monostate{}));
    EXPECT_EQ(on_lite.rows[6][3], Value(3.141592653589793));
  }

  GenericTenantMover back(Lite(), Pg(), {"m2", "t1", {}, RoutingRules{}});
  const double back_rate = Move(back, /*create_schema=*/false);
  EXPECT_EQ(pg().Exec(kPgText), before);
  SqliteShardStorage lite(lite_);
  auto ls = lite.Open();
  ASSERT_TRUE(ls.ok());
  struct Count final : RowSink {
    void OnColumns(const std::vector<Column>&) override {}
    bool OnRow(std::span<const Value> row) override {
      n = std::get<int64_t>(row[0]);
      return true;
    }
    int64_t n = -1;
  } count;
  ASSERT_TRUE((*ls)->Execute("SELECT count(*) FROM kinds", {}, &count).ok());
  EXPECT_EQ(count.n, 0);
  ASSERT_TRUE(
      (*ls)->Execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'", {}, &count).ok());
  EXPECT_EQ(count.n, 0);
  RecordProperty("pg_to_sqlite_rows_per_s", static_cast<int>(out_rate));
  RecordProperty("sqlite_to_pg_rows_per_s", static_cast<int>(back_rate));
}

TEST_F(GenericRoundTripTest, ANanThatSqliteCannotKeepFailsVerification) {
  // SQLite stores NaN as NULL: the copy "succeeds", the verification must not.
  pg().Exec("INSERT INTO kinds VALUES ('n1', 1, 1, 'nan', 'NaN', true, '\\x', 1)");
  GenericTenantMover there(Pg(), Lite(), {"m3", "n1", {}, RoutingRules{}});
  ASSERT_TRUE(there.PlanTables(true).ok());
  ASSERT_TRUE(there
                  .Copy([](const SnapshotPoint&) { return Status(); },
                        [](const CopyProgress&) { return Status(); })
                  .ok());
  auto checks = there.VerifyFrozen({"kinds"});
  ASSERT_TRUE(checks.ok()) << checks.status().ToString();
  EXPECT_EQ((*checks)[0].source_rows, 1u);
  EXPECT_EQ((*checks)[0].target_rows, 1u);
  EXPECT_NE((*checks)[0].source_checksum, (*checks)[0].target_checksum);
}

}  // namespace
}  // namespace domicile::testing
