// Frontend messages: every one survives encode -> decode, whole and byte by byte.
#include <gtest/gtest.h>

#include "frontends/pgwire/frontend_decoder.h"
#include "frontends/pgwire/frontend_encoder.h"

namespace domicile::pgwire {
namespace {

using namespace std::string_view_literals;

StartupMessage Startup() {
  StartupMessage m;
  m.parameters = {{"user", "alice"}, {"database", "app"}, {"options", "-c domicile.tenant=acme"}};
  return m;
}

// Typed messages, each with the PasswordKind the decoder must expect for it.
std::vector<std::pair<FrontendMessage, PasswordKind>> TypedMessages() {
  Bind bind;
  bind.portal = "p1";
  bind.statement = "s1";
  bind.param_formats = {0, 1};
  bind.params = {std::string_view("42"), std::nullopt};
  bind.result_formats = {1};
  Bind empty_values;
  empty_values.params = {std::string_view(""), std::string_view("\0\1"sv)};
  return {
      {Query{"SELECT 1"}, PasswordKind::kNone},
      {Query{""}, PasswordKind::kNone},
      {Parse{"s1", "SELECT $1::int, $2", {23, 0}}, PasswordKind::kNone},
      {Parse{"", "BEGIN", {}}, PasswordKind::kNone},
      {bind, PasswordKind::kNone},
      {empty_values, PasswordKind::kNone},
      {Bind{}, PasswordKind::kNone},
      {Describe{DescribeTarget::kStatement, "s1"}, PasswordKind::kNone},
      {Describe{DescribeTarget::kPortal, ""}, PasswordKind::kNone},
      {Execute{"p1", 100}, PasswordKind::kNone},
      {Execute{"", 0}, PasswordKind::kNone},
      {Sync{}, PasswordKind::kNone},
      {Flush{}, PasswordKind::kNone},
      {Close{DescribeTarget::kPortal, "p1"}, PasswordKind::kNone},
      {CopyData{"1\tacme\n\0binary"sv}, PasswordKind::kNone},
      {CopyDone{}, PasswordKind::kNone},
      {CopyFail{"client gave up"}, PasswordKind::kNone},
      {PasswordMessage{"md5abcdef"}, PasswordKind::kPassword},
      {SaslInitialResponse{"SCRAM-SHA-256", std::string_view("n,,n=,r=abc")},
       PasswordKind::kSaslInitial},
      {SaslInitialResponse{"SCRAM-SHA-256", std::nullopt}, PasswordKind::kSaslInitial},
      {SaslResponse{"c=biws,r=abc,p=xyz"}, PasswordKind::kSaslResponse},
      {Terminate{}, PasswordKind::kNone},
  };
}

TEST(PgwireFrontendCodecTest, EveryMessageRoundTrips) {
  std::string wire;
  Encode(wire, Startup());
  FrontendDecoder decoder;
  decoder.Append(wire);
  Decoded<FrontendMessage> first = decoder.Next();
  ASSERT_TRUE(first.has_value()) << first.status().ToString();
  EXPECT_EQ(first.value(), FrontendMessage(Startup()));
  EXPECT_EQ(decoder.phase(), DecoderPhase::kTyped);

  for (const auto& [message, kind] : TypedMessages()) {
    wire.clear();
    Encode(wire, message);
    decoder.ExpectPasswordMessage(kind);
    decoder.Append(wire);
    Decoded<FrontendMessage> got = decoder.Next();
    ASSERT_TRUE(got.has_value()) << MessageName(message) << ": " << got.status().ToString();
    EXPECT_EQ(got.value(), message) << MessageName(message);
    EXPECT_TRUE(decoder.Next().need_more_data());
  }
  EXPECT_EQ(decoder.phase(), DecoderPhase::kClosed);
}

TEST(PgwireFrontendCodecTest, StartupPhasePacketsRoundTrip) {
  for (const FrontendMessage& m : {FrontendMessage(SslRequest{}), FrontendMessage(GssEncRequest{}),
                                   FrontendMessage(CancelRequest{1234, -99})}) {
    std::string wire;
    Encode(wire, m);
    FrontendDecoder decoder;
    decoder.Append(wire);
    Decoded<FrontendMessage> got = decoder.Next();
    ASSERT_TRUE(got.has_value()) << got.status().ToString();
    EXPECT_EQ(got.value(), m);
  }
}

TEST(PgwireFrontendCodecTest, ByteByByteDeliveryNeedsMoreDataThenDecodes) {
  std::vector<FrontendMessage> expected = {Startup()};
  for (const auto& [message, kind] : TypedMessages()) {
    if (kind == PasswordKind::kNone) expected.push_back(message);
  }
  std::string wire;
  for (const auto& m : expected) Encode(wire, m);
  FrontendDecoder decoder;
  size_t decoded = 0;
  for (char c : wire) {
    decoder.Append(std::string_view(&c, 1));
    for (;;) {
      Decoded<FrontendMessage> d = decoder.Next();
      ASSERT_FALSE(d.is_error()) << d.status().ToString();
      if (d.need_more_data()) break;
      ASSERT_LT(decoded, expected.size());
      EXPECT_EQ(d.value(), expected[decoded]) << MessageName(expected[decoded]);
      ++decoded;
    }
  }
  EXPECT_EQ(decoded, expected.size());
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(PgwireFrontendCodecTest, PrepareCommitReceivesInPlace) {
  std::string wire;
  Encode(wire, Startup());
  Encode(wire, Query{"SELECT 1"});
  FrontendDecoder decoder;
  char* room = decoder.Prepare(4096);
  wire.copy(room, wire.size());
  decoder.Commit(wire.size());
  EXPECT_EQ(decoder.buffered(), wire.size());
  ASSERT_TRUE(decoder.Next().has_value());
  Decoded<FrontendMessage> q = decoder.Next();
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(std::get<Query>(q.value()).sql, "SELECT 1");
}

}  // namespace
}  // namespace domicile::pgwire
