// DecodePgOutput: every protocol version 1 message from hand-built bytes, and bad input
// (truncated, overlong, garbage) always an error, never a crash.
#include "adapters/move/postgres/pgoutput.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace domicile::pgmove {
namespace {

// Builds a message the way the server does: big-endian integers, NUL-terminated strings.
class Wire {
 public:
  explicit Wire(char type) : bytes_(1, type) {}
  Wire& U8(uint8_t v) { return Int(v, 1); }
  Wire& I16(int16_t v) { return Int(static_cast<uint16_t>(v), 2); }
  Wire& I32(int32_t v) { return Int(static_cast<uint32_t>(v), 4); }
  Wire& I64(int64_t v) { return Int(static_cast<uint64_t>(v), 8); }
  Wire& Str(std::string_view s) {
    bytes_.append(s);
    bytes_.push_back('\0');
    return *this;
  }
  Wire& Raw(std::string_view s) {
    bytes_.append(s);
    return *this;
  }
  // Tuple values: "n", "u", or a text value.
  Wire& Text(std::string_view s) { return U8('t').I32(static_cast<int32_t>(s.size())).Raw(s); }
  Wire& Binary(std::string_view s) { return U8('b').I32(static_cast<int32_t>(s.size())).Raw(s); }
  const std::string& bytes() const { return bytes_; }

 private:
  Wire& Int(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) bytes_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  std::string bytes_;
};

template <typename T>
T DecodeAs(const Wire& wire) {
  Result<PgOutputMessage> m = DecodePgOutput(wire.bytes());
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*m)) << "decoded a " << PgOutputMessageName(*m);
  if (!std::holds_alternative<T>(*m)) return T{};
  return std::get<T>(std::move(m).value());
}

TupleValue Text(std::string s) { return {TupleValue::Kind::kText, std::move(s)}; }
TupleValue Null() { return {TupleValue::Kind::kNull, ""}; }
TupleValue Unchanged() { return {TupleValue::Kind::kUnchangedToast, ""}; }

// ('a', 7, NULL, <unchanged toast>)
Wire& TupleA7(Wire& w) { return w.I16(4).Text("a").Text("7").U8('n').U8('u'); }

TEST(PgOutputTest, Begin) {
  auto m = DecodeAs<BeginMessage>(Wire('B').I64(0x16B374D848).I64(741234567890123).I32(-2));
  EXPECT_EQ(m, (BeginMessage{0x16B374D848, 741234567890123, 0xFFFFFFFE}));
  EXPECT_EQ(PgOutputMessageName(PgOutputMessage(m)), "Begin");
}

TEST(PgOutputTest, Commit) {
  auto m = DecodeAs<CommitMessage>(Wire('C').U8(0).I64(0x100).I64(0x128).I64(-5));
  EXPECT_EQ(m, (CommitMessage{0, 0x100, 0x128, -5}));
}

TEST(PgOutputTest, Origin) {
  auto m = DecodeAs<OriginMessage>(Wire('O').I64(0xABCDEF).Str("eu-west"));
  EXPECT_EQ(m, (OriginMessage{0xABCDEF, "eu-west"}));
}

TEST(PgOutputTest, RelationWithKeyColumnsAndTypeModifiers) {
  Wire w('R');
  w.I32(16385).Str("public").Str("orders").U8('d').I16(3);
  w.U8(1).Str("tenant_id").I32(25).I32(-1);
  w.U8(1).Str("id").I32(20).I32(-1);
  w.U8(0).Str("price").I32(1700).I32((10 << 16 | 2) + 4);
  auto m = DecodeAs<RelationMessage>(w);
  EXPECT_EQ(m.relation_id, 16385u);
  EXPECT_EQ(m.namespace_name, "public");
  EXPECT_EQ(m.name, "orders");
  EXPECT_EQ(m.replica_identity, ReplicaIdentity::kDefault);
  ASSERT_EQ(m.columns.size(), 3u);
  EXPECT_EQ(m.columns[0], (RelationColumn{true, "tenant_id", 25, -1}));
  EXPECT_EQ(m.columns[1], (RelationColumn{true, "id", 20, -1}));
  EXPECT_EQ(m.columns[2], (RelationColumn{false, "price", 1700, (10 << 16 | 2) + 4}));
}

TEST(PgOutputTest, RelationReplicaIdentities) {
  for (char identity : {'d', 'n', 'f', 'i'}) {
    auto m = DecodeAs<RelationMessage>(Wire('R').I32(1).Str("").Str("t").U8(identity).I16(0));
    EXPECT_EQ(static_cast<char>(m.replica_identity), identity);
    EXPECT_TRUE(m.columns.empty());
    EXPECT_EQ(m.namespace_name, "");
  }
  Result<PgOutputMessage> bad =
      DecodePgOutput(Wire('R').I32(1).Str("").Str("t").U8('x').I16(0).bytes());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(bad.status().message().find("replica identity"), std::string::npos);
}

TEST(PgOutputTest, Type) {
  auto m = DecodeAs<TypeMessage>(Wire('Y').I32(16390).Str("public").Str("mood"));
  EXPECT_EQ(m, (TypeMessage{16390, "public", "mood"}));
}

TEST(PgOutputTest, InsertWithEveryValueKind) {
  Wire w('I');
  w.I32(16385).U8('N').I16(5).Text("a").Text("").U8('n').U8('u').Binary(std::string("\0\x01", 2));
  auto m = DecodeAs<InsertMessage>(w);
  EXPECT_EQ(m.relation_id, 16385u);
  EXPECT_EQ(m.new_tuple, (Tuple{Text("a"), Text(""), Null(), Unchanged(),
                                TupleValue{TupleValue::Kind::kBinary, std::string("\0\x01", 2)}}));
}

TEST(PgOutputTest, UpdateWithoutOldTuple) {
  Wire w('U');
  w.I32(9).U8('N');
  TupleA7(w);
  auto m = DecodeAs<UpdateMessage>(w);
  EXPECT_EQ(m.relation_id, 9u);
  EXPECT_EQ(m.old_kind, OldTupleKind::kNone);
  EXPECT_TRUE(m.old_tuple.empty());
  EXPECT_EQ(m.new_tuple, (Tuple{Text("a"), Text("7"), Null(), Unchanged()}));
}

TEST(PgOutputTest, UpdateWithOldKey) {
  Wire w('U');
  w.I32(9).U8('K').I16(4).Text("a").Text("2").U8('n').U8('n').U8('N');
  TupleA7(w);
  auto m = DecodeAs<UpdateMessage>(w);
  EXPECT_EQ(m.old_kind, OldTupleKind::kKey);
  EXPECT_EQ(m.old_tuple, (Tuple{Text("a"), Text("2"), Null(), Null()}));
  EXPECT_EQ(m.new_tuple, (Tuple{Text("a"), Text("7"), Null(), Unchanged()}));
}

TEST(PgOutputTest, UpdateWithFullOldRow) {
  Wire w('U');
  w.I32(9).U8('O').I16(1).Text("x").U8('N').I16(1).Text("y");
  auto m = DecodeAs<UpdateMessage>(w);
  EXPECT_EQ(m.old_kind, OldTupleKind::kFull);
  EXPECT_EQ(m.old_tuple, (Tuple{Text("x")}));
  EXPECT_EQ(m.new_tuple, (Tuple{Text("y")}));
}

TEST(PgOutputTest, UpdateOldTupleMustBeFollowedByNewTuple) {
  Result<PgOutputMessage> m =
      DecodePgOutput(Wire('U').I32(9).U8('K').I16(1).Text("x").U8('K').I16(1).Text("y").bytes());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(m.status().message().find("expected 'N'"), std::string::npos) << m.status().message();
}

TEST(PgOutputTest, DeleteWithKeyOrFullRow) {
  auto key = DecodeAs<DeleteMessage>(Wire('D').I32(9).U8('K').I16(2).Text("a").Text("3"));
  EXPECT_EQ(key, (DeleteMessage{9, OldTupleKind::kKey, Tuple{Text("a"), Text("3")}}));
  auto full = DecodeAs<DeleteMessage>(Wire('D').I32(9).U8('O').I16(2).Text("a").U8('n'));
  EXPECT_EQ(full, (DeleteMessage{9, OldTupleKind::kFull, Tuple{Text("a"), Null()}}));
  Result<PgOutputMessage> bad = DecodePgOutput(Wire('D').I32(9).U8('N').I16(0).bytes());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorrupt);
}

TEST(PgOutputTest, Truncate) {
  auto m = DecodeAs<TruncateMessage>(Wire('T').I32(2).U8(3).I32(16385).I32(16390));
  EXPECT_EQ(m.options, TruncateMessage::kCascade | TruncateMessage::kRestartIdentity);
  EXPECT_EQ(m.relation_ids, (std::vector<uint32_t>{16385, 16390}));
}

TEST(PgOutputTest, TruncateWithHugeCountFailsWithoutAllocating) {
  Result<PgOutputMessage> m = DecodePgOutput(Wire('T').I32(INT32_MAX).U8(0).I32(1).bytes());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(m.status().message().find("2147483647 relation ids"), std::string::npos)
      << m.status().message();
}

TEST(PgOutputTest, TransactionalAndPlainLogicalMessages) {
  std::string content("hel\0lo", 6);
  auto tx = DecodeAs<LogicalMessage>(Wire('M')
                                         .U8(1)
                                         .I64(0x2A)
                                         .Str("domicile")
                                         .I32(static_cast<int32_t>(content.size()))
                                         .Raw(content));
  EXPECT_EQ(tx, (LogicalMessage{true, 0x2A, "domicile", content}));
  auto plain = DecodeAs<LogicalMessage>(Wire('M').U8(0).I64(1).Str("").I32(0));
  EXPECT_EQ(plain, (LogicalMessage{false, 1, "", ""}));
}

TEST(PgOutputTest, EmptyAndLaterProtocolMessagesAreInvalidArgument) {
  Result<PgOutputMessage> empty = DecodePgOutput("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  for (char type : {'S', 'E', 'c', 'A', 'P', 'K'}) {
    Result<PgOutputMessage> m = DecodePgOutput(std::string(1, type) + std::string(16, '\0'));
    ASSERT_FALSE(m.ok()) << type;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << type;
    EXPECT_NE(m.status().message().find("protocol version 1"), std::string::npos);
  }
}

TEST(PgOutputTest, UnknownTypeIsCorrupt) {
  Result<PgOutputMessage> m = DecodePgOutput(std::string("\xff\x00", 2));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(m.status().message().find("255"), std::string::npos);
}

TEST(PgOutputTest, TrailingBytesAreCorrupt) {
  Result<PgOutputMessage> m = DecodePgOutput(Wire('O').I64(1).Str("x").U8(0).bytes());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(m.status().message().find("1 unexpected bytes"), std::string::npos);
}

TEST(PgOutputTest, MalformedFieldsNameTheMessageAndField) {
  struct Case {
    std::string bytes;
    std::string expected;
  };
  std::vector<Case> cases = {
      {Wire('O').I64(1).Raw("no-nul").bytes(), "origin name string has no terminating NUL"},
      {Wire('I').I32(1).U8('N').I16(-1).bytes(), "negative column count -1"},
      {Wire('I').I32(1).U8('N').I16(1).U8('t').I32(-7).bytes(), "negative length -7"},
      {Wire('I').I32(1).U8('N').I16(1).U8('t').I32(100).Raw("abc").bytes(),
       "new tuple's column 1 value needs 100 bytes, 3 left"},
      {Wire('I').I32(1).U8('N').I16(1).U8('x').bytes(), "unknown value kind 120"},
      {Wire('I').I32(1).U8('X').I16(0).bytes(), "expected 'N' before the new tuple"},
      {Wire('R').I32(1).Str("s").Str("t").U8('d').I16(-2).bytes(), "negative column count -2"},
      {Wire('M').U8(1).I64(1).Str("p").I32(-1).bytes(), "negative length -1 for the content"},
      {Wire('T').I32(-1).U8(0).bytes(), "negative relation count -1"},
      {Wire('B').I64(1).I64(2).bytes(), "Begin message (17 bytes): truncated at byte 17: the xid"},
  };
  for (const Case& c : cases) {
    Result<PgOutputMessage> m = DecodePgOutput(c.bytes);
    ASSERT_FALSE(m.ok()) << c.expected;
    EXPECT_EQ(m.status().code(), StatusCode::kCorrupt) << m.status().message();
    EXPECT_NE(m.status().message().find(c.expected), std::string::npos) << m.status().message();
  }
}

// Whole messages of every type, valid, for truncation and mutation.
std::vector<std::string> ValidMessages() {
  Wire update('U');
  update.I32(9).U8('K').I16(2).Text("a").Text("2").U8('N');
  TupleA7(update);
  std::string content("x\0y", 3);
  return {
      Wire('B').I64(1).I64(2).I32(3).bytes(),
      Wire('C').U8(0).I64(1).I64(2).I64(3).bytes(),
      Wire('O').I64(1).Str("o").bytes(),
      Wire('R')
          .I32(1)
          .Str("public")
          .Str("t")
          .U8('f')
          .I16(2)
          .U8(1)
          .Str("a")
          .I32(25)
          .I32(-1)
          .U8(0)
          .Str("b")
          .I32(23)
          .I32(-1)
          .bytes(),
      Wire('Y').I32(1).Str("public").Str("mood").bytes(),
      Wire('I').I32(1).U8('N').I16(3).Text("a").U8('n').Binary("zz").bytes(),
      update.bytes(),
      Wire('D').I32(1).U8('O').I16(2).Text("a").U8('u').bytes(),
      Wire('T').I32(2).U8(1).I32(1).I32(2).bytes(),
      Wire('M').U8(1).I64(5).Str("domicile").I32(3).Raw(content).bytes(),
  };
}

TEST(PgOutputTest, EveryProperPrefixOfAValidMessageIsAnError) {
  for (const std::string& message : ValidMessages()) {
    ASSERT_TRUE(DecodePgOutput(message).ok()) << DecodePgOutput(message).status().ToString();
    for (size_t n = 0; n < message.size(); ++n) {
      Result<PgOutputMessage> m = DecodePgOutput(std::string_view(message).substr(0, n));
      ASSERT_FALSE(m.ok()) << "prefix of " << n << " of " << message.size() << " bytes decoded";
      EXPECT_FALSE(m.status().message().empty());
    }
  }
}

RC_GTEST_PROP(PgOutputTest, RandomBytesNeverCrash, (const std::string& bytes)) {
  Result<PgOutputMessage> m = DecodePgOutput(bytes);
  if (!m.ok()) {
    RC_ASSERT(m.status().code() == StatusCode::kCorrupt ||
              m.status().code() == StatusCode::kInvalidArgument);
    RC_ASSERT(!m.status().message().empty());
  }
}

RC_GTEST_PROP(PgOutputTest, RandomBodiesOfEveryTypeNeverCrash, (const std::string& body)) {
  char type = *rc::gen::element('B', 'C', 'O', 'R', 'Y', 'I', 'U', 'D', 'T', 'M');
  Result<PgOutputMessage> m = DecodePgOutput(std::string(1, type) + body);
  if (!m.ok()) RC_ASSERT(m.status().code() == StatusCode::kCorrupt);
}

// Valid messages with a few bytes overwritten: each decodes or fails cleanly, and a message
// that decodes names its own type.
RC_GTEST_PROP(PgOutputTest, MutatedValidMessagesNeverCrash, ()) {
  std::vector<std::string> messages = ValidMessages();
  std::string bytes = *rc::gen::elementOf(messages);
  int flips = *rc::gen::inRange(1, 4);
  for (int i = 0; i < flips; ++i) {
    size_t at = *rc::gen::inRange<size_t>(1, bytes.size());
    bytes[at] = *rc::gen::arbitrary<char>();
  }
  Result<PgOutputMessage> m = DecodePgOutput(bytes);
  if (m.ok()) {
    RC_ASSERT(DecodePgOutput(messages[m->index()]).ok());
    RC_ASSERT(messages[m->index()][0] == bytes[0]);
  }
}

}  // namespace
}  // namespace domicile::pgmove
