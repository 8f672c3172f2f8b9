// Backend messages: encoder -> BackendFrameReader -> parsers, and framing of bad input.
#include <gtest/gtest.h>

#include "frontends/pgwire/backend_encoder.h"
#include "frontends/pgwire/backend_frame_reader.h"
#include "frontends/pgwire/backend_parsers.h"
#include "frontends/pgwire/frontend_encoder.h"

namespace domicile::pgwire {
namespace {

using namespace std::string_literals;

// Encodes `m`, frames it, and checks the frame is the whole encoding.
template <typename M>
BackendFrame Frame(BackendFrameReader& reader, std::string& wire, const M& m) {
  wire.clear();
  Encode(wire, m);
  reader.Append(wire);
  Decoded<BackendFrame> f = reader.Next();
  EXPECT_TRUE(f.has_value()) << f.status().ToString();
  if (!f.has_value()) return {};
  EXPECT_EQ(f.value().raw, wire);
  EXPECT_TRUE(reader.Next().need_more_data());
  return f.value();
}

// Round trip through a parser returning Result<M>.
template <typename M, typename P>
void ExpectRoundTrip(const M& m, P parse) {
  BackendFrameReader reader;
  std::string wire;
  BackendFrame f = Frame(reader, wire, m);
  auto parsed = parse(f);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, m);
}

TEST(PgwireBackendCodecTest, AuthenticationRequestsRoundTrip) {
  for (const AuthenticationRequest& m : std::vector<AuthenticationRequest>{
           AuthenticationOk{}, AuthenticationCleartextPassword{},
           AuthenticationMd5Password{{'a', '\0', 'c', '\xff'}},
           AuthenticationSasl{{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}},
           AuthenticationSaslContinue{"r=abc,s=c2FsdA==,i=4096"}, AuthenticationSaslFinal{"v=xyz"},
           AuthenticationSaslFinal{""}}) {
    ExpectRoundTrip(m, ParseAuthentication);
  }
}

TEST(PgwireBackendCodecTest, SessionMessagesRoundTrip) {
  ExpectRoundTrip(ParameterStatus{"server_version", "15.4"}, ParseParameterStatus);
  ExpectRoundTrip(BackendKeyData{4242, -17}, ParseBackendKeyData);
  for (auto s :
       {TransactionStatus::kIdle, TransactionStatus::kInTransaction, TransactionStatus::kFailed}) {
    ExpectRoundTrip(ReadyForQuery{s}, ParseReadyForQuery);
  }
  ExpectRoundTrip(CommandComplete{"INSERT 0 1"}, ParseCommandComplete);
}

TEST(PgwireBackendCodecTest, ResultMessagesRoundTrip) {
  RowDescription rd;
  rd.fields = {{"id", 16384, 1, 23, 4, -1, 0}, {"name", 0, 0, 25, -1, -1, 1}, {}};
  ExpectRoundTrip(rd, ParseRowDescription);
  ExpectRoundTrip(RowDescription{}, ParseRowDescription);
  ExpectRoundTrip(DataRow{{std::string_view("1"), std::nullopt, std::string_view("")}},
                  ParseDataRow);
  ExpectRoundTrip(ParameterDescription{{23, 25, 4294967295u}}, ParseParameterDescription);
  ExpectRoundTrip(CopyInResponse{{1, {1, 1}}}, [](const BackendFrame& f) -> Result<CopyInResponse> {
    Result<CopyResponse> r = ParseCopyResponse(f);
    if (!r.ok()) return r.status();
    return CopyInResponse{*r};
  });
}

TEST(PgwireBackendCodecTest, CopyResponsesKeepTheirType) {
  BackendFrameReader reader;
  std::string wire;
  BackendFrame in = Frame(reader, wire, CopyInResponse{{0, {0, 0, 0}}});
  EXPECT_EQ(in.type, be::kCopyInResponse);
  EXPECT_EQ(ParseCopyResponse(in)->column_formats.size(), 3u);
  BackendFrame out = Frame(reader, wire, CopyOutResponse{{1, {}}});
  EXPECT_EQ(out.type, be::kCopyOutResponse);
  EXPECT_EQ(ParseCopyResponse(out)->overall_format, 1);
  BackendFrame data = Frame(reader, wire, CopyData{"row\n"});
  EXPECT_EQ(data.type, be::kCopyData);
  EXPECT_EQ(data.body, "row\n");
  EXPECT_TRUE(CheckEmptyMessage(Frame(reader, wire, CopyDone{}), be::kCopyDone).ok());
}

TEST(PgwireBackendCodecTest, EmptyMessagesHaveTheirTypeAndNoBody) {
  BackendFrameReader reader;
  std::string wire;
  EXPECT_TRUE(CheckEmptyMessage(Frame(reader, wire, EmptyQueryResponse{}), 'I').ok());
  EXPECT_TRUE(CheckEmptyMessage(Frame(reader, wire, ParseComplete{}), '1').ok());
  EXPECT_TRUE(CheckEmptyMessage(Frame(reader, wire, BindComplete{}), '2').ok());
  EXPECT_TRUE(CheckEmptyMessage(Frame(reader, wire, CloseComplete{}), '3').ok());
  EXPECT_TRUE(CheckEmptyMessage(Frame(reader, wire, NoData{}), 'n').ok());
  EXPECT_TRUE(CheckEmptyMessage(Frame(reader, wire, PortalSuspended{}), 's').ok());
  EXPECT_FALSE(CheckEmptyMessage(Frame(reader, wire, NoData{}), '1').ok());
  EXPECT_FALSE(CheckEmptyMessage(Frame(reader, wire, CommandComplete{"x"}), 'C').ok());
}

TEST(PgwireBackendCodecTest, ErrorAndNoticeFieldsRoundTrip) {
  ErrorFields fields = MakeErrorFields("FATAL", "08P01", "invalid message", "detail", "hint");
  EXPECT_EQ(fields.severity(), "FATAL");
  EXPECT_EQ(fields.Get('S'), "FATAL");
  EXPECT_EQ(fields.sqlstate(), "08P01");
  EXPECT_EQ(fields.message(), "invalid message");
  EXPECT_EQ(fields.Get('D'), "detail");
  EXPECT_EQ(fields.Get('H'), "hint");
  EXPECT_FALSE(fields.Has('P'));
  ExpectRoundTrip(ErrorResponse{fields}, [](const BackendFrame& f) -> Result<ErrorResponse> {
    EXPECT_EQ(f.type, be::kErrorResponse);
    Result<ErrorFields> r = ParseErrorFields(f);
    if (!r.ok()) return r.status();
    return ErrorResponse{*r};
  });
  ErrorFields notice = MakeErrorFields("WARNING", "01000", "careful");
  EXPECT_FALSE(notice.Has('D'));
  ExpectRoundTrip(NoticeResponse{notice}, [](const BackendFrame& f) -> Result<NoticeResponse> {
    EXPECT_EQ(f.type, be::kNoticeResponse);
    Result<ErrorFields> r = ParseErrorFields(f);
    if (!r.ok()) return r.status();
    return NoticeResponse{*r};
  });
  std::string wire;
  EncodeError(wire, "ERROR", "28P01", "password authentication failed for user \"u\"");
  BackendFrameReader reader;
  reader.Append(wire);
  Result<ErrorFields> parsed = ParseErrorFields(reader.Next().value());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->sqlstate(), "28P01");
}

TEST(PgwireBackendCodecTest, ByteByByteFraming) {
  std::string wire;
  Encode(wire, AuthenticationOk{});
  Encode(wire, ParameterStatus{"client_encoding", "UTF8"});
  Encode(wire, BackendKeyData{1, 2});
  Encode(wire, ReadyForQuery{TransactionStatus::kIdle});
  BackendFrameReader reader;
  std::string types;
  for (char c : wire) {
    reader.Append(std::string_view(&c, 1));
    for (Decoded<BackendFrame> f = reader.Next(); !f.need_more_data(); f = reader.Next()) {
      ASSERT_TRUE(f.has_value()) << f.status().ToString();
      types.push_back(f.value().type);
      if (f.value().type == 'Z') {
        EXPECT_EQ(ParseReadyForQuery(f.value())->status, TransactionStatus::kIdle);
      }
    }
  }
  EXPECT_EQ(types, "RSKZ");
}

TEST(PgwireBackendCodecTest, RejectsBadFraming) {
  BackendFrameReader unknown;
  unknown.Append("\x01\0\0\0\x04"s);
  EXPECT_TRUE(unknown.Next().is_error());
  EXPECT_TRUE(unknown.Next().is_error());  // sticky

  BackendFrameReader short_len;
  short_len.Append("Z\0\0\0\x03"s);
  EXPECT_TRUE(short_len.Next().is_error());

  BackendFrameReader big(100);
  big.Append("D\0\0\x10\0"s);  // header only: rejected before the body
  EXPECT_TRUE(big.Next().is_error());
}

TEST(PgwireBackendCodecTest, ParsersRejectMalformedBodies) {
  auto frame = [](char type, const std::string& body) { return BackendFrame{type, body, {}}; };
  EXPECT_FALSE(ParseReadyForQuery(frame('Z', "X")).ok());
  EXPECT_FALSE(ParseReadyForQuery(frame('Z', "II")).ok());
  EXPECT_FALSE(ParseReadyForQuery(frame('C', "I")).ok());  // wrong type
  EXPECT_FALSE(ParseAuthentication(frame('R', "\0\0\0"s)).ok());
  EXPECT_FALSE(ParseAuthentication(frame('R', "\0\0\0\x07"s)).ok());  // GSS: unsupported
  EXPECT_FALSE(ParseAuthentication(frame('R',
                                         "\0\0\0\x05"
                                         "ab"s))
                   .ok());
  EXPECT_FALSE(ParseAuthentication(frame('R', "\0\0\0\x0aSCRAM"s)).ok());
  EXPECT_FALSE(ParseAuthentication(frame('R', "\0\0\0\0x"s)).ok());
  EXPECT_FALSE(ParseErrorFields(frame('E', "SERROR\0"s)).ok());  // no final NUL
  EXPECT_FALSE(ParseErrorFields(frame('E', "SERROR"s)).ok());
  EXPECT_FALSE(ParseErrorFields(frame('Z', "\0"s)).ok());
  EXPECT_FALSE(ParseDataRow(frame('D', "\0\x02\0\0\0\x01x"s)).ok());
  EXPECT_FALSE(ParseDataRow(frame('D', "\0\x01\xff\xff\xff\xfe"s)).ok());
  EXPECT_FALSE(ParseDataRow(frame('D', "\x80\0"s)).ok());
  EXPECT_FALSE(ParseRowDescription(frame('T', "\0\x01name\0"s)).ok());
  EXPECT_FALSE(ParseRowDescription(frame('T', "\x7f\xff"s)).ok());
  EXPECT_FALSE(ParseParameterDescription(frame('t', "\0\x02\0\0\0\x17"s)).ok());
  EXPECT_FALSE(ParseCopyResponse(frame('G', "\0\0\x01"s)).ok());
  EXPECT_FALSE(ParseBackendKeyData(frame('K', "\0\0\0\x01"s)).ok());
  EXPECT_FALSE(ParseParameterStatus(frame('S', "a\0b"s)).ok());
  EXPECT_FALSE(ParseCommandComplete(frame('C', "SELECT 1"s)).ok());
}

TEST(PgwireBackendCodecTest, SslResponseByte) {
  BackendFrameReader reader;
  EXPECT_TRUE(reader.NextSslResponse().need_more_data());
  reader.Append("N");
  EXPECT_EQ(reader.NextSslResponse().value(), 'N');
  std::string wire;
  EncodeError(wire, "FATAL", "0A000", "unsupported");
  reader.Append(wire);
  EXPECT_EQ(reader.NextSslResponse().value(), 'E');
  EXPECT_EQ(reader.Next().value().type, 'E');  // the ErrorResponse is still there
  BackendFrameReader bad;
  bad.Append("x");
  EXPECT_TRUE(bad.NextSslResponse().is_error());
}

TEST(PgwireBackendCodecTest, TakeFrameTakesWholeValidMessagesAndLeavesTheRestToNext) {
  BackendFrameReader reader(64);
  std::string row;
  Encode(row, DataRow{{std::string_view("1")}});
  std::string ready;
  Encode(ready, ReadyForQuery{TransactionStatus::kInTransaction});
  reader.Append(row + ready.substr(0, 3));
  BackendFrame frame;
  ASSERT_TRUE(reader.TakeFrame(frame));
  EXPECT_EQ(frame.type, 'D');
  EXPECT_EQ(frame.raw, row);
  EXPECT_EQ(frame.body, row.substr(5));
  EXPECT_FALSE(reader.TakeFrame(frame));  // incomplete: nothing taken
  EXPECT_EQ(reader.buffered(), 3u);
  reader.Append(ready.substr(3));
  ASSERT_TRUE(reader.TakeFrame(frame));
  EXPECT_EQ(frame.raw, ready);

  std::string big;
  Encode(big, DataRow{{std::string_view(std::string(100, 'x'))}});  // over the limit
  for (const std::string& bad :
       {"\x01" + std::string(4, '\0'), "D" + std::string(4, '\0').substr(0, 3) + "\x02", big}) {
    BackendFrameReader r(64);
    r.Append(bad);
    EXPECT_FALSE(r.TakeFrame(frame));
    EXPECT_TRUE(r.Next().is_error());
    EXPECT_FALSE(r.TakeFrame(frame));  // sticky
  }
}

TEST(PgwireBackendCodecTest, TakeRunTakesBufferedMessagesUpToAStopType) {
  BackendFrameReader reader;
  std::string rows;
  Encode(rows, DataRow{{std::string_view("1")}});
  Encode(rows, DataRow{{std::string_view("2")}});
  Encode(rows, CommandComplete{"SELECT 2"});
  std::string ready;
  Encode(ready, ReadyForQuery{TransactionStatus::kIdle});
  reader.Append(rows + ready);
  EXPECT_EQ(reader.TakeRun("SEZG"), rows);  // stops before the ReadyForQuery
  EXPECT_EQ(reader.TakeRun("SEZG"), "");    // which is a stop type
  Decoded<BackendFrame> z = reader.Next();
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ(z.value().raw, ready);

  // A completion the caller waits for is a stop type too; an incomplete message ends a run.
  reader.Append(rows.substr(0, rows.size() - 3));
  std::string first_two = rows.substr(0, rows.find('C'));
  EXPECT_EQ(reader.TakeRun("SEZGC"), first_two);
  EXPECT_TRUE(reader.Next().need_more_data());
  reader.Append(rows.substr(rows.size() - 3));
  EXPECT_EQ(reader.TakeRun("SEZG"), rows.substr(first_two.size()));
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(PgwireBackendCodecTest, TakeRunLeavesBadMessagesToNext) {
  BackendFrameReader reader(16);
  std::string row;
  Encode(row, DataRow{{std::string_view("1")}});
  reader.Append(row + "\x01" + std::string(4, '\0'));  // an unknown type byte
  EXPECT_EQ(reader.TakeRun(""), row);
  EXPECT_EQ(reader.TakeRun(""), "");
  EXPECT_TRUE(reader.Next().is_error());
  EXPECT_EQ(reader.TakeRun(""), "");  // the error is sticky

  BackendFrameReader small(16);
  std::string big;
  Encode(big, DataRow{{std::string_view(std::string(40, 'x'))}});  // over the limit
  small.Append(row + big);
  EXPECT_EQ(small.TakeRun(""), row);
  EXPECT_EQ(small.TakeRun(""), "");
  EXPECT_TRUE(small.Next().is_error());
}

}  // namespace
}  // namespace domicile::pgwire
