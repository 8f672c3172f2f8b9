// Embedded-shard encoding: type OIDs, text/binary values, Bind parameters, SQLSTATE mapping.
#include "frontends/pgwire/embedded_encoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "frontends/pgwire/backend_frame_reader.h"
#include "frontends/pgwire/backend_parsers.h"

namespace domicile::pgwire {
namespace {

using namespace std::string_literals;

std::string Text(const Value& v) {
  std::string out;
  AppendValueText(out, v);
  return out;
}

TEST(EmbeddedEncodingTest, TypeOidsFollowPostgres) {
  EXPECT_EQ(TypeOidFor(ColumnType::kInt64), 20u);
  EXPECT_EQ(TypeOidFor(ColumnType::kFloat64), 701u);
  EXPECT_EQ(TypeOidFor(ColumnType::kText), 25u);
  EXPECT_EQ(TypeOidFor(ColumnType::kBytes), 17u);
  EXPECT_EQ(TypeOidFor(ColumnType::kBool), 16u);
  EXPECT_EQ(TypeOidFor(ColumnType::kNull), 25u);  // clients read unknown columns as text
  EXPECT_EQ(TypeLenFor(ColumnType::kInt64), 8);
  EXPECT_EQ(TypeLenFor(ColumnType::kText), -1);
}

TEST(EmbeddedEncodingTest, TextFormatMatchesPostgresOutput) {
  EXPECT_EQ(Text(true), "t");
  EXPECT_EQ(Text(false), "f");
  EXPECT_EQ(Text(int64_t{-42}), "-42");
  EXPECT_EQ(Text(int64_t{std::numeric_limits<int64_t>::min()}), "-9223372036854775808");
  EXPECT_EQ(Text(0.1), "0.1");
  EXPECT_EQ(Text(3.0), "3");
  EXPECT_EQ(Text(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(Text(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(Text(std::nan("")), "NaN");
  EXPECT_EQ(Text(std::string("olá")), "olá");
  EXPECT_EQ(Text(Bytes{"\x00\xff\x10"s}), "\\x00ff10");
  EXPECT_EQ(Text(Bytes{}), "\\x");
  EXPECT_EQ(Text(std::monostate{}), "");
}

TEST(EmbeddedEncodingTest, BinaryFormatForFixedWidthTypes) {
  std::string out;
  AppendValueBinary(out, int64_t{258}, ColumnType::kInt64);
  EXPECT_EQ(out, "\0\0\0\0\0\0\1\2"s);
  out.clear();
  AppendValueBinary(out, true, ColumnType::kBool);
  EXPECT_EQ(out, "\1"s);
  out.clear();
  AppendValueBinary(out, 1.0, ColumnType::kFloat64);
  EXPECT_EQ(out, "\x3f\xf0\0\0\0\0\0\0"s);
  out.clear();
  // SQLite keeps what was stored: text in an INTEGER column stays text.
  AppendValueBinary(out, std::string("abc"), ColumnType::kInt64);
  EXPECT_EQ(out, "abc");
}

TEST(EmbeddedEncodingTest, FormatCodesFollowTheZeroOneManyRule) {
  std::vector<int16_t> none, one = {1}, many = {0, 1};
  EXPECT_EQ(FormatFor(none, 3), 0);
  EXPECT_EQ(FormatFor(one, 3), 1);
  EXPECT_EQ(FormatFor(many, 1), 1);
  EXPECT_EQ(FormatFor(many, 0), 0);
}

TEST(EmbeddedEncodingTest, DecodesBindParameters) {
  EXPECT_EQ(*DecodeParam(std::nullopt, 0, 0), Value{std::monostate{}});
  EXPECT_EQ(*DecodeParam("coop-lisboa", 0, 0), Value{std::string("coop-lisboa")});
  EXPECT_EQ(*DecodeParam("12", 0, kOidInt4), Value{int64_t{12}});
  EXPECT_EQ(*DecodeParam("12", 0, 0), Value{std::string("12")});  // unknown type: text
  EXPECT_EQ(*DecodeParam("2.5", 0, kOidFloat8), Value{2.5});
  EXPECT_EQ(*DecodeParam("t", 0, kOidBool), Value{true});
  EXPECT_EQ(*DecodeParam("\\x00ff", 0, kOidBytea), Value{Bytes{"\x00\xff"s}});
  EXPECT_FALSE(DecodeParam("twelve", 0, kOidInt8).ok());
  EXPECT_FALSE(DecodeParam("\\x0g", 0, kOidBytea).ok());
  // Binary: int4/int8 by length (drivers often leave the type unspecified), bool, float8.
  EXPECT_EQ(*DecodeParam("\xff\xff\xff\xfe"s, 1, 0), Value{int64_t{-2}});
  EXPECT_EQ(*DecodeParam("\0\0\0\0\0\0\1\0"s, 1, kOidInt8), Value{int64_t{256}});
  EXPECT_EQ(*DecodeParam("\1"s, 1, kOidBool), Value{true});
  EXPECT_EQ(*DecodeParam("\x3f\xf0\0\0\0\0\0\0"s, 1, kOidFloat8), Value{1.0});
  EXPECT_EQ(*DecodeParam("ab"s, 1, kOidText), Value{std::string("ab")});
  EXPECT_FALSE(DecodeParam("\1\2\3"s, 1, kOidInt4).ok());
}

TEST(EmbeddedEncodingTest, MapsSqliteErrorsToSqlStates) {
  auto state = [](StatusCode code, const std::string& message) {
    return std::string(SqlStateForStorageError(Status(code, message)));
  };
  EXPECT_EQ(state(StatusCode::kAlreadyExists,
                  "unique violation: UNIQUE constraint failed: t.id (sqlite error 1555)"),
            "23505");
  EXPECT_EQ(state(StatusCode::kInvalidArgument, "near \"SELEC\": syntax error (sqlite error 1)"),
            "42601");
  EXPECT_EQ(state(StatusCode::kInvalidArgument, "no such table: nope (sqlite error 1)"), "42P01");
  EXPECT_EQ(state(StatusCode::kInvalidArgument, "no such column: x (sqlite error 1)"), "42703");
  EXPECT_EQ(state(StatusCode::kInvalidArgument,
                  "constraint violation: NOT NULL constraint failed: t.x (sqlite error 1299)"),
            "23502");
  EXPECT_EQ(state(StatusCode::kInvalidArgument,
                  "current transaction is aborted, commands ignored until end of transaction "
                  "block"),
            "25P02");
  EXPECT_EQ(state(StatusCode::kInvalidArgument,
                  "constraint violation: tenant t1 is fenced on this shard: its rows are moving "
                  "(sqlite error 1811)"),
            "55000");
  EXPECT_EQ(state(StatusCode::kConflict, "another connection wrote"), "40001");
  EXPECT_EQ(state(StatusCode::kUnavailable, "database is busy: locked"), "55P03");
  EXPECT_EQ(state(StatusCode::kInternal, "what"), "XX000");
}

TEST(EmbeddedEncodingTest, SinkEncodesRowDescriptionAndDataRows) {
  WireRowSink sink;
  sink.OnColumns({{"id", ColumnType::kInt64, 0},
                  {"name", ColumnType::kText, 0},
                  {"blob", ColumnType::kBytes, 0},
                  {"ok", ColumnType::kBool, 0}});
  std::vector<Value> row1 = {int64_t{1}, std::string("Ana"), Bytes{"\x01"s}, true};
  std::vector<Value> row2 = {int64_t{2}, std::monostate{}, Bytes{}, false};
  EXPECT_TRUE(sink.OnRow(row1));
  EXPECT_TRUE(sink.OnRow(row2));
  ASSERT_EQ(sink.row_count(), 2u);

  std::string wire;
  sink.AppendRowDescription(wire);
  sink.AppendRows(wire, 0, 2);
  BackendFrameReader reader;
  reader.Append(wire);
  auto t = reader.Next();
  ASSERT_TRUE(t.has_value());
  auto description = ParseRowDescription(t.value());
  ASSERT_TRUE(description.ok());
  ASSERT_EQ(description->fields.size(), 4u);
  EXPECT_EQ(description->fields[0].name, "id");
  EXPECT_EQ(description->fields[0].type_oid, 20u);
  EXPECT_EQ(description->fields[1].type_oid, 25u);
  EXPECT_EQ(description->fields[2].type_oid, 17u);
  EXPECT_EQ(description->fields[3].type_oid, 16u);
  auto d1 = reader.Next();
  ASSERT_TRUE(d1.has_value());
  auto r1 = ParseDataRow(d1.value());
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->values, (std::vector<std::optional<std::string_view>>{"1", "Ana", "\\x01", "t"}));
  auto r2 = ParseDataRow(reader.Next().value());
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->values,
            (std::vector<std::optional<std::string_view>>{"2", std::nullopt, "\\x", "f"}));
  EXPECT_TRUE(reader.Next().need_more_data());
}

}  // namespace
}  // namespace domicile::pgwire
