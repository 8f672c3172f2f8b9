#include "app/row_checksum.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace domicile {
namespace {

using namespace std::string_literals;

std::string Canonical(const Value& v, ColumnType kind) {
  std::string out;
  AppendCanonical(v, kind, &out);
  return out;
}

std::string Sum(const std::vector<std::vector<Value>>& rows, std::vector<ColumnType> kinds) {
  TableChecksum sum(std::move(kinds));
  for (const auto& r : rows) sum.Add(r);
  return sum.checksum();
}

TEST(RowChecksumTest, SameValueFromEitherEngineIsTheSameText) {
  // PostgreSQL returns int4 as int64, SQLite an INTEGER in a REAL-declared read as double.
  EXPECT_EQ(Canonical(int64_t{5}, ColumnType::kInt64), Canonical(5.0, ColumnType::kInt64));
  EXPECT_EQ(Canonical(int64_t{5}, ColumnType::kInt64), Canonical("5"s, ColumnType::kInt64));
  // bool (PostgreSQL, SQLite BOOLEAN) and 0/1 (SQLite INTEGER).
  EXPECT_EQ(Canonical(true, ColumnType::kBool), Canonical(int64_t{1}, ColumnType::kBool));
  EXPECT_EQ(Canonical(false, ColumnType::kInt64), Canonical(int64_t{0}, ColumnType::kInt64));
  // numeric comes from PostgreSQL as text; SQLite's REAL as a double.
  EXPECT_EQ(Canonical("0.10"s, ColumnType::kFloat64), Canonical(0.1, ColumnType::kFloat64));
  EXPECT_EQ(Canonical(int64_t{3}, ColumnType::kFloat64), Canonical(3.0, ColumnType::kFloat64));
  EXPECT_EQ(Canonical(-0.0, ColumnType::kFloat64), Canonical(0.0, ColumnType::kFloat64));
  EXPECT_EQ(Canonical("Infinity"s, ColumnType::kFloat64),
            Canonical(std::numeric_limits<double>::infinity(), ColumnType::kFloat64));
  // bytea as Bytes, SQLite text in a BLOB column as a string.
  EXPECT_EQ(Canonical(Bytes{"\x00\xff"s}, ColumnType::kBytes),
            Canonical("\x00\xff"s, ColumnType::kBytes));
}

TEST(RowChecksumTest, DifferentValuesStayDifferent) {
  EXPECT_NE(Canonical(std::monostate{}, ColumnType::kText), Canonical(""s, ColumnType::kText));
  EXPECT_NE(Canonical(std::monostate{}, ColumnType::kText), Canonical("N"s, ColumnType::kText));
  EXPECT_NE(Canonical("007"s, ColumnType::kText), Canonical(int64_t{7}, ColumnType::kText));
  EXPECT_NE(Canonical(0.1, ColumnType::kFloat64),
            Canonical(std::nextafter(0.1, 1.0), ColumnType::kFloat64));
  EXPECT_NE(Canonical(std::nan(""), ColumnType::kFloat64),
            Canonical(std::monostate{}, ColumnType::kFloat64));
  EXPECT_NE(Canonical(int64_t{2}, ColumnType::kBool), Canonical(true, ColumnType::kBool));
}

TEST(RowChecksumTest, ChecksumIgnoresOrderButCountsDuplicatesAndFieldBoundaries) {
  const std::vector<ColumnType> kinds = {ColumnType::kText, ColumnType::kText};
  const std::vector<Value> a = {"ab"s, "c"s}, b = {"a"s, "bc"s}, c = {"x"s, std::monostate{}};
  EXPECT_EQ(Sum({a, b, c}, kinds), Sum({c, a, b}, kinds));
  EXPECT_NE(Sum({a, c}, kinds), Sum({b, c}, kinds));
  EXPECT_NE(Sum({a, a, c}, kinds), Sum({a, c}, kinds));
  EXPECT_NE(Sum({{"x"s, ""s}}, kinds), Sum({c}, kinds));
  EXPECT_EQ(Sum({}, kinds), "0000000000000000");
  TableChecksum sum(kinds);
  sum.Add(a);
  sum.Add(a);
  EXPECT_EQ(sum.rows(), 2u);
}

TEST(RowChecksumTest, HashIsStableAcrossBuilds) {
  // Checksums are stored in move records: a new build must compute the same numbers.
  EXPECT_EQ(StableHash64(""), 0xf52a15e9a9b5e89bULL);
  EXPECT_EQ(StableHash64("V2:t1"), StableHash64("V2:t1"));
  EXPECT_NE(StableHash64("V2:t1"), StableHash64("V2:t2"));
}

TEST(RowChecksumTest, CommonKindPrefersTheStricterComparison) {
  EXPECT_EQ(CommonKind(ColumnType::kInt64, ColumnType::kInt64), ColumnType::kInt64);
  EXPECT_EQ(CommonKind(ColumnType::kBool, ColumnType::kInt64), ColumnType::kInt64);
  EXPECT_EQ(CommonKind(ColumnType::kFloat64, ColumnType::kInt64), ColumnType::kFloat64);
  EXPECT_EQ(CommonKind(ColumnType::kText, ColumnType::kBytes), ColumnType::kBytes);
  EXPECT_EQ(CommonKind(ColumnType::kText, ColumnType::kInt64), ColumnType::kText);
  EXPECT_EQ(CommonKind(ColumnType::kBytes, ColumnType::kFloat64), ColumnType::kText);
}

TEST(RowChecksumTest, CoercesForTheTargetsKind) {
  EXPECT_EQ(CoerceForKind(int64_t{1}, ColumnType::kBool), Value(true));
  EXPECT_EQ(CoerceForKind(int64_t{2}, ColumnType::kBool), Value(int64_t{2}));  // refused there
  EXPECT_EQ(CoerceForKind(true, ColumnType::kInt64), Value(int64_t{1}));
  EXPECT_EQ(CoerceForKind("12"s, ColumnType::kInt64), Value(int64_t{12}));
  EXPECT_EQ(CoerceForKind(4.0, ColumnType::kInt64), Value(int64_t{4}));
  EXPECT_EQ(CoerceForKind(4.5, ColumnType::kInt64), Value(4.5));
  EXPECT_EQ(CoerceForKind("1.25"s, ColumnType::kFloat64), Value(1.25));
  EXPECT_EQ(CoerceForKind("ab"s, ColumnType::kBytes), Value(Bytes{"ab"}));
  EXPECT_EQ(CoerceForKind(Bytes{"ab"}, ColumnType::kText), Value("ab"s));
  EXPECT_EQ(CoerceForKind(std::monostate{}, ColumnType::kInt64), Value(std::monostate{}));
  EXPECT_EQ(CoerceForKind("x"s, ColumnType::kInt64), Value("x"s));
}

}  // namespace
}  // namespace domicile
