// FrontendDecoder: startup phase, limits, and rejection of every kind of malformed input.
#include "frontends/pgwire/frontend_decoder.h"

#include <gtest/gtest.h>

#include "frontends/pgwire/frontend_encoder.h"
#include "frontends/pgwire/startup_options.h"

namespace domicile::pgwire {
namespace {

using namespace std::string_literals;

std::string Int32(int32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(uint32_t(v) >> (24 - 8 * i));
  return s;
}
std::string Int16(int16_t v) {
  return {static_cast<char>(uint16_t(v) >> 8), static_cast<char>(v & 0xff)};
}
std::string Typed(char type, const std::string& body) {
  return type + Int32(int32_t(body.size() + 4)) + body;
}
std::string Untyped(const std::string& body) { return Int32(int32_t(body.size() + 4)) + body; }

// A decoder already past the startup packet.
FrontendDecoder Started(DecoderLimits limits = {}) {
  FrontendDecoder d(limits);
  std::string wire;
  StartupMessage m;
  m.parameters = {{"user", "u"}};
  Encode(wire, m);
  d.Append(wire);
  EXPECT_TRUE(d.Next().has_value());
  return d;
}

// The error a typed message's bytes produce.
Status TypedError(const std::string& bytes, PasswordKind kind = PasswordKind::kNone) {
  FrontendDecoder d = Started();
  d.ExpectPasswordMessage(kind);
  d.Append(bytes);
  Decoded<FrontendMessage> got = d.Next();
  EXPECT_TRUE(got.is_error()) << "accepted: " << bytes.size() << " bytes";
  return got.status();
}

TEST(PgwireFrontendDecoderTest, StartupWithTenantOptionIsParsed) {
  std::string body = Int32(kProtocolVersion3) + "user\0alice\0database\0app\0"s +
                     "options\0-c domicile.tenant=acme\0\0"s;
  FrontendDecoder d;
  d.Append(Untyped(body));
  Decoded<FrontendMessage> got = d.Next();
  ASSERT_TRUE(got.has_value()) << got.status().ToString();
  const auto& startup = std::get<StartupMessage>(got.value());
  EXPECT_EQ(startup.Get("user"), "alice");
  EXPECT_EQ(startup.Get("database"), "app");
  Result<std::vector<StartupSetting>> settings = ParseStartupOptions(startup.Get("options"));
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(FindSetting(*settings, "domicile.tenant"), "acme");
  EXPECT_EQ(d.phase(), DecoderPhase::kTyped);
}

TEST(PgwireFrontendDecoderTest, SslRequestThenStartup) {
  FrontendDecoder d;
  d.Append(Untyped(Int32(kSslRequestCode)));
  Decoded<FrontendMessage> ssl = d.Next();
  ASSERT_TRUE(ssl.has_value());
  EXPECT_TRUE(std::holds_alternative<SslRequest>(ssl.value()));
  EXPECT_EQ(d.phase(), DecoderPhase::kStartup);
  EXPECT_EQ(d.buffered(), 0u);  // nothing smuggled ahead of the TLS handshake
  d.Append(Untyped(Int32(kProtocolVersion3) + "user\0u\0\0"s));
  ASSERT_TRUE(d.Next().has_value());
  EXPECT_EQ(d.phase(), DecoderPhase::kTyped);
}

TEST(PgwireFrontendDecoderTest, CancelRequestEndsTheConnection) {
  FrontendDecoder d;
  d.Append(Untyped(Int32(kCancelRequestCode) + Int32(77) + Int32(-5)));
  Decoded<FrontendMessage> got = d.Next();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(std::get<CancelRequest>(got.value()), (CancelRequest{77, -5}));
  EXPECT_TRUE(d.Next().need_more_data());
  d.Append("Q");
  EXPECT_TRUE(d.Next().is_error());
}

TEST(PgwireFrontendDecoderTest, RejectsBadStartupPackets) {
  const std::string v3 = Int32(kProtocolVersion3);
  for (const std::string& bad : {
           Int32(3) + "abcd"s,                             // length below 8
           Int32(-1) + v3,                                 // negative length
           Int32(20000) + v3,                              // over the startup limit
           Untyped(Int32(2 << 16) + "user\0u\0\0"s),       // protocol 2.0
           Untyped(v3 + "user\0u\0"s),                     // no terminator
           Untyped(v3 + "user\0u"s),                       // value without NUL
           Untyped(v3 + "user\0"s),                        // name without value
           Untyped(v3 + "user\0u\0\0junk"s),               // bytes after the terminator
           Untyped(Int32(kSslRequestCode) + "x"s),         // SSLRequest with a body
           Untyped(Int32(kCancelRequestCode) + Int32(1)),  // short CancelRequest
       }) {
    FrontendDecoder d;
    d.Append(bad);
    Decoded<FrontendMessage> got = d.Next();
    EXPECT_TRUE(got.is_error());
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(d.phase(), DecoderPhase::kFailed);
  }
}

TEST(PgwireFrontendDecoderTest, OversizedMessageRejectedBeforeItsBodyArrives) {
  DecoderLimits limits;
  limits.max_message = 1024;
  FrontendDecoder d = Started(limits);
  d.Append("Q" + Int32(1024 + 5));  // only the header: the body never needs to arrive
  Decoded<FrontendMessage> got = d.Next();
  ASSERT_TRUE(got.is_error());
  EXPECT_NE(got.status().message().find("limit"), std::string::npos) << got.status().message();
  EXPECT_EQ(d.buffered(), 0u);

  FrontendDecoder big = Started(limits);
  big.Append("Q" + Int32(1024 + 4));  // exactly at the limit: waits for the body
  EXPECT_TRUE(big.Next().need_more_data());

  FrontendDecoder small = Started();  // Sync is a small type: a 1 MiB one is rejected
  small.Append("S" + Int32(1 << 20));
  EXPECT_TRUE(small.Next().is_error());

  FrontendDecoder startup;
  startup.Append(Int32(int32_t(kDefaultMaxStartupPacket) + 1));
  EXPECT_TRUE(startup.Next().is_error());
}

TEST(PgwireFrontendDecoderTest, RejectsMalformedTypedMessages) {
  EXPECT_TRUE(TypedError("Q" + Int32(3)).message().find("length") != std::string::npos);
  EXPECT_FALSE(TypedError("Q" + Int32(-7)).ok());
  EXPECT_FALSE(TypedError(Typed('Q', "SELECT 1")).ok());                        // no NUL
  EXPECT_FALSE(TypedError(Typed('Q', "SELECT 1\0x"s)).ok());                    // trailing byte
  EXPECT_FALSE(TypedError(Typed('Z', "")).ok());                                // unknown type
  EXPECT_FALSE(TypedError(Typed('F', "")).ok());                                // FunctionCall
  EXPECT_FALSE(TypedError(Typed('S', "x")).ok());                               // Sync with a body
  EXPECT_FALSE(TypedError(Typed('P', "s\0q\0"s + Int16(2) + Int32(23))).ok());  // count
  EXPECT_FALSE(TypedError(Typed('P', "s\0q\0"s + Int16(-1))).ok());
  EXPECT_FALSE(TypedError(Typed('D', "Xname\0"s)).ok());     // target not S/P
  EXPECT_FALSE(TypedError(Typed('C', "S"s)).ok());           // name missing
  EXPECT_FALSE(TypedError(Typed('E', "p\0"s + "12")).ok());  // short row limit
  EXPECT_FALSE(TypedError(Typed('f', "oops")).ok());
}

TEST(PgwireFrontendDecoderTest, RejectsMalformedBind) {
  const std::string names = "p\0s\0"s;
  const std::string no_results = Int16(0);
  // 2 formats for 1 parameter.
  EXPECT_FALSE(TypedError(Typed('B', names + Int16(2) + Int16(0) + Int16(0) + Int16(1) + Int32(1) +
                                         "x" + no_results))
                   .ok());
  // Parameter count beyond the body.
  EXPECT_FALSE(TypedError(Typed('B', names + Int16(0) + Int16(1000) + no_results)).ok());
  // Parameter length beyond the body, and below -1.
  EXPECT_FALSE(
      TypedError(Typed('B', names + Int16(0) + Int16(1) + Int32(99) + "x" + no_results)).ok());
  EXPECT_FALSE(TypedError(Typed('B', names + Int16(0) + Int16(1) + Int32(-2) + no_results)).ok());
  // Negative format count; result formats truncated.
  EXPECT_FALSE(TypedError(Typed('B', names + Int16(-1) + Int16(0) + no_results)).ok());
  EXPECT_FALSE(TypedError(Typed('B', names + Int16(0) + Int16(0) + Int16(3) + Int16(0))).ok());
  // The same layout, well-formed, with a NULL: accepted.
  FrontendDecoder d = Started();
  d.Append(
      Typed('B', names + Int16(1) + Int16(1) + Int16(2) + Int32(-1) + Int32(2) + "ab" + Int16(0)));
  Decoded<FrontendMessage> got = d.Next();
  ASSERT_TRUE(got.has_value()) << got.status().ToString();
  const Bind& bind = std::get<Bind>(got.value());
  ASSERT_EQ(bind.params.size(), 2u);
  EXPECT_FALSE(bind.params[0].has_value());
  EXPECT_EQ(bind.params[1], "ab");
}

TEST(PgwireFrontendDecoderTest, PasswordMessagesDependOnContext) {
  EXPECT_FALSE(TypedError(Typed('p', "secret\0"s)).ok());  // no authentication in progress
  // During authentication only 'p' (or Terminate) is acceptable.
  EXPECT_FALSE(TypedError(Typed('Q', "SELECT 1\0"s), PasswordKind::kPassword).ok());
  EXPECT_FALSE(
      TypedError(Typed('p', "SCRAM-SHA-256\0"s + Int32(10) + "abc"), PasswordKind::kSaslInitial)
          .ok());
  EXPECT_FALSE(
      TypedError(Typed('p', "SCRAM-SHA-256\0"s + Int32(-3)), PasswordKind::kSaslInitial).ok());
  FrontendDecoder d = Started();
  d.ExpectPasswordMessage(PasswordKind::kSaslResponse);
  d.Append(Typed('p', "c=biws"));
  d.Append(Typed('p', "again"));
  Decoded<FrontendMessage> first = d.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(std::get<SaslResponse>(first.value()).data, "c=biws");
  EXPECT_TRUE(d.Next().is_error());  // the expectation is used up
}

TEST(PgwireFrontendDecoderTest, ErrorsAreSticky) {
  FrontendDecoder d = Started();
  d.Append(Typed('?', ""));
  Status first = d.Next().status();
  ASSERT_FALSE(first.ok());
  d.Append(Typed('S', ""));
  EXPECT_EQ(d.Next().status().message(), first.message());
  EXPECT_EQ(d.phase(), DecoderPhase::kFailed);
}

TEST(PgwireFrontendDecoderTest, PipelinedMessagesComeOutInOrder) {
  FrontendDecoder d = Started();
  std::string wire;
  Encode(wire, Parse{"", "SELECT $1", {}});
  Encode(wire, Bind{"", "", {}, {std::string_view("1")}, {}});
  Encode(wire, Execute{"", 0});
  Encode(wire, Sync{});
  d.Append(wire + "Q");  // plus the first byte of the next message
  std::vector<size_t> kinds;
  for (Decoded<FrontendMessage> m = d.Next(); m.has_value(); m = d.Next()) {
    kinds.push_back(m.value().index());
  }
  EXPECT_EQ(kinds, (std::vector<size_t>{
                       FrontendMessage(Parse{}).index(), FrontendMessage(Bind{}).index(),
                       FrontendMessage(Execute{}).index(), FrontendMessage(Sync{}).index()}));
  EXPECT_EQ(d.buffered(), 1u);
  EXPECT_TRUE(d.Next().need_more_data());
}

TEST(PgwireFrontendDecoderTest, DecodeIntoReusesAMessageAndGivesTheSameResult) {
  auto body = [](const FrontendMessage& m) {
    std::string wire;
    Encode(wire, m);
    return wire;
  };
  const std::vector<FrontendMessage> batch = {
      Parse{"s", "SELECT $1, $2", {23, 25}},
      Bind{"", "s", {0, 1}, {std::string_view("7"), std::nullopt}, {1}},
      Bind{"p", "s", {}, {std::nullopt, std::string_view("x")}, {}},  // NULL where 7 was
      Parse{"", "SELECT 1", {}},
      Execute{"p", 5},
      Bind{"", "", {}, {}, {}},
  };
  FrontendMessage slot = Sync{};
  for (const FrontendMessage& m : batch) {
    std::string wire = body(m);
    Status st = DecodeFrontendMessageInto(wire[0], std::string_view(wire).substr(5),
                                          PasswordKind::kNone, slot);
    ASSERT_TRUE(st.ok()) << st.ToString();
    auto fresh =
        DecodeFrontendMessage(wire[0], std::string_view(wire).substr(5), PasswordKind::kNone);
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(slot, *fresh);
    EXPECT_EQ(slot, m);
  }
  // A bad body: an error, and no half-decoded Bind left in the slot.
  std::string bad = body(Bind{"", "s", {}, {std::string_view("1")}, {}});
  bad.resize(bad.size() - 3);
  Status st =
      DecodeFrontendMessageInto('B', std::string_view(bad).substr(5), PasswordKind::kNone, slot);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(slot, FrontendMessage(Bind{}));
}

TEST(PgwireFrontendDecoderTest, TakeBatchMessageFramesTheFiveBatchTypesOnly) {
  FrontendDecoder d = Started();
  std::string wire;
  Encode(wire, Parse{"s", "SELECT $1", {}});
  Encode(wire, Bind{"", "s", {}, {std::string_view("1")}, {}});
  Encode(wire, Describe{DescribeTarget::kPortal, ""});
  Encode(wire, Execute{"", 0});
  Encode(wire, Close{DescribeTarget::kStatement, "s"});
  const size_t batch = wire.size();
  Encode(wire, Sync{});
  d.Append(wire);
  std::string taken;
  while (std::optional<std::string_view> raw = d.TakeBatchMessage()) {
    EXPECT_EQ(*raw, d.last_raw());
    taken += *raw;
  }
  EXPECT_EQ(taken, wire.substr(0, batch));  // each message's bytes, whole, in order
  EXPECT_TRUE(std::holds_alternative<Sync>(d.Next().value()));  // not a batch message

  // Incomplete: left for later; over the small-message limit: left to Next(), which fails.
  wire.clear();
  Encode(wire, Execute{"", 0});
  d.Append(wire.substr(0, 6));
  EXPECT_FALSE(d.TakeBatchMessage().has_value());
  d.Append(wire.substr(6));
  EXPECT_TRUE(d.TakeBatchMessage().has_value());
  DecoderLimits limits;
  limits.max_small_message = 8;
  FrontendDecoder small = Started(limits);
  wire.clear();
  Encode(wire, Execute{"a_long_portal_name", 0});
  small.Append(wire);
  EXPECT_FALSE(small.TakeBatchMessage().has_value());
  EXPECT_TRUE(small.Next().is_error());
  // While a password is expected, a Parse is Next()'s protocol violation.
  FrontendDecoder waiting = Started();
  waiting.ExpectPasswordMessage(PasswordKind::kSaslInitial);
  wire.clear();
  Encode(wire, Parse{"", "SELECT 1", {}});
  waiting.Append(wire);
  EXPECT_FALSE(waiting.TakeBatchMessage().has_value());
  EXPECT_TRUE(waiting.Next().is_error());
}

TEST(PgwireFrontendDecoderTest, TakeQueryTakesWholeWellFormedQueriesOnly) {
  FrontendDecoder d = Started();
  std::string wire;
  Encode(wire, Query{"SELECT 1"});
  Encode(wire, Query{"SELECT 2"});
  Encode(wire, Sync{});
  d.Append(wire);
  std::optional<std::string_view> sql = d.TakeQuery();
  ASSERT_TRUE(sql.has_value());
  EXPECT_EQ(*sql, "SELECT 1");
  EXPECT_EQ(d.last_raw(), wire.substr(0, 14));  // 'Q', length, text, NUL: forwardable as is
  sql = d.TakeQuery();
  ASSERT_TRUE(sql.has_value());
  EXPECT_EQ(*sql, "SELECT 2");
  EXPECT_FALSE(d.TakeQuery().has_value());  // a Sync is Next()'s
  EXPECT_TRUE(std::holds_alternative<Sync>(d.Next().value()));

  // Incomplete: nothing is taken until the rest arrives.
  wire.clear();
  Encode(wire, Query{"SELECT 3"});
  d.Append(wire.substr(0, 9));
  EXPECT_FALSE(d.TakeQuery().has_value());
  EXPECT_EQ(d.buffered(), 9u);
  d.Append(wire.substr(9));
  EXPECT_EQ(d.TakeQuery().value_or("none"), "SELECT 3");
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(PgwireFrontendDecoderTest, TakeQueryLeavesMalformedQueriesToNext) {
  for (const std::string& bad : {Typed('Q', "SELECT 1"), Typed('Q', "SELECT 1\0x"s),
                                 Typed('Q', "SELECT\0 1\0"s), Typed('Q', ""), "Q" + Int32(3)}) {
    FrontendDecoder d = Started();
    d.Append(bad);
    EXPECT_FALSE(d.TakeQuery().has_value());
    EXPECT_EQ(d.buffered(), bad.size());
    EXPECT_TRUE(d.Next().is_error());  // and Next() reports it
  }
  // Over the size limit: Next()'s error too.
  DecoderLimits limits;
  limits.max_message = 8;
  FrontendDecoder d = Started(limits);
  std::string wire;
  Encode(wire, Query{"SELECT 12345"});
  d.Append(wire);
  EXPECT_FALSE(d.TakeQuery().has_value());
  EXPECT_TRUE(d.Next().is_error());
  // Before the startup packet a 'Q' byte is no Query.
  FrontendDecoder fresh;
  wire.clear();
  Encode(wire, Query{"SELECT 1"});
  fresh.Append(wire);
  EXPECT_FALSE(fresh.TakeQuery().has_value());
}

}  // namespace
}  // namespace domicile::pgwire
