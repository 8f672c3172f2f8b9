// Property tests: random, truncated and mutated bytes never crash the codecs, and chunking
// never changes what a valid stream decodes to.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <random>

#include "frontends/pgwire/backend_encoder.h"
#include "frontends/pgwire/backend_frame_reader.h"
#include "frontends/pgwire/backend_parsers.h"
#include "frontends/pgwire/frontend_decoder.h"
#include "frontends/pgwire/frontend_encoder.h"
#include "frontends/pgwire/scram_exchange.h"

namespace domicile::pgwire {
namespace {

// Feeds `bytes` in chunks of the given sizes; returns the messages re-encoded (so they
// outlive the buffer) and whether the stream ended in an error. Checks the decoder's
// contract on every step: exactly one outcome, errors are InvalidArgument and sticky.
struct Outcome {
  std::vector<std::string> messages;
  bool failed = false;
};
Outcome DecodeInChunks(const std::string& bytes, const std::vector<size_t>& chunks,
                       PasswordKind kind, bool started) {
  FrontendDecoder d;
  if (started) {
    std::string startup;
    Encode(startup, StartupMessage{});
    d.Append(startup);
    RC_ASSERT(d.Next().has_value());
  }
  Outcome out;
  size_t at = 0;
  size_t chunk = 0;
  while (at < bytes.size() && !out.failed) {
    size_t n = chunks.empty() ? bytes.size() : 1 + chunks[chunk++ % chunks.size()] % 64;
    n = std::min(n, bytes.size() - at);
    d.Append(std::string_view(bytes).substr(at, n));
    at += n;
    for (;;) {
      d.ExpectPasswordMessage(kind);
      Decoded<FrontendMessage> m = d.Next();
      RC_ASSERT(int(m.has_value()) + int(m.need_more_data()) + int(m.is_error()) == 1);
      if (m.need_more_data()) break;
      if (m.is_error()) {
        RC_ASSERT(m.status().code() == StatusCode::kInvalidArgument);
        RC_ASSERT(!m.status().message().empty());
        RC_ASSERT(d.Next().is_error());
        out.failed = true;
        break;
      }
      std::string again;
      Encode(again, m.value());
      out.messages.push_back(std::move(again));
    }
  }
  return out;
}

std::string ValidStream() {
  std::string wire;
  Encode(wire, Query{"SELECT 1"});
  Encode(wire, Parse{"s", "SELECT $1", {23}});
  Encode(wire, Bind{"p", "s", {1}, {std::string_view("\0\0\0\x07", 4), std::nullopt}, {1}});
  Encode(wire, Describe{DescribeTarget::kPortal, "p"});
  Encode(wire, Execute{"p", 10});
  Encode(wire, Close{DescribeTarget::kStatement, "s"});
  Encode(wire, CopyData{"a\tb\n"});
  Encode(wire, CopyFail{"no"});
  Encode(wire, Flush{});
  Encode(wire, Sync{});
  return wire;
}

RC_GTEST_PROP(PgwireFuzzTest, RandomBytesNeverCrashTheFrontendDecoder,
              (const std::string& bytes, const std::vector<size_t>& chunks, bool started)) {
  auto kind = *rc::gen::element(PasswordKind::kNone, PasswordKind::kPassword,
                                PasswordKind::kSaslInitial, PasswordKind::kSaslResponse);
  DecodeInChunks(bytes, chunks, kind, started);
}

RC_GTEST_PROP(PgwireFuzzTest, ChunkingDoesNotChangeTheDecodedStream,
              (const std::vector<size_t>& chunks)) {
  std::string wire = ValidStream();
  Outcome whole = DecodeInChunks(wire, {}, PasswordKind::kNone, true);
  Outcome pieces = DecodeInChunks(wire, chunks, PasswordKind::kNone, true);
  RC_ASSERT(!whole.failed);
  RC_ASSERT(!pieces.failed);
  RC_ASSERT(whole.messages.size() == 10u);
  RC_ASSERT(pieces.messages == whole.messages);
  RC_ASSERT(whole.messages.size() == 10u);
  std::string reencoded;
  for (const auto& m : whole.messages) reencoded += m;
  RC_ASSERT(reencoded == wire);
}

RC_GTEST_PROP(PgwireFuzzTest, TruncatedStreamsNeedMoreDataOrDecodeAPrefix, ()) {
  std::string wire = ValidStream();
  size_t cut = *rc::gen::inRange<size_t>(0, wire.size());
  Outcome out = DecodeInChunks(wire.substr(0, cut), {}, PasswordKind::kNone, true);
  RC_ASSERT(!out.failed);
  std::string prefix;
  for (const auto& m : out.messages) prefix += m;
  RC_ASSERT(wire.compare(0, prefix.size(), prefix) == 0);
}

RC_GTEST_PROP(PgwireFuzzTest, MutatedStreamsNeverCrash, ()) {
  std::string wire = ValidStream();
  int mutations = *rc::gen::inRange(1, 8);
  for (int i = 0; i < mutations && !wire.empty(); ++i) {
    size_t at = *rc::gen::inRange<size_t>(0, wire.size());
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        wire[at] = *rc::gen::arbitrary<char>();
        break;
      case 1:
        wire.erase(at, 1);
        break;
      default:
        wire.insert(at, 1, *rc::gen::arbitrary<char>());
        break;
    }
  }
  DecodeInChunks(wire, *rc::gen::arbitrary<std::vector<size_t>>(), PasswordKind::kNone, true);
}

// Every backend parser, on whatever a frame holds: an error or a value, never a crash.
void ParseEverything(const BackendFrame& f) {
  (void)ParseAuthentication(f);
  (void)ParseParameterStatus(f);
  (void)ParseBackendKeyData(f);
  (void)ParseReadyForQuery(f);
  (void)ParseRowDescription(f);
  (void)ParseDataRow(f);
  (void)ParseCommandComplete(f);
  (void)ParseParameterDescription(f);
  (void)ParseCopyResponse(f);
  (void)ParseErrorFields(f);
  (void)CheckEmptyMessage(f, f.type);
}

RC_GTEST_PROP(PgwireFuzzTest, RandomBytesNeverCrashTheBackendReader,
              (const std::string& bytes, const std::vector<size_t>& chunks)) {
  BackendFrameReader reader(1 << 16);
  size_t at = 0;
  size_t chunk = 0;
  bool failed = false;
  while (at < bytes.size() && !failed) {
    size_t n = chunks.empty() ? bytes.size() : 1 + chunks[chunk++ % chunks.size()] % 64;
    n = std::min(n, bytes.size() - at);
    reader.Append(std::string_view(bytes).substr(at, n));
    at += n;
    for (Decoded<BackendFrame> f = reader.Next(); !f.need_more_data(); f = reader.Next()) {
      if (f.is_error()) {
        failed = true;
        break;
      }
      RC_ASSERT(f.value().raw.size() == f.value().body.size() + 5);
      ParseEverything(f.value());
    }
  }
}

RC_GTEST_PROP(PgwireFuzzTest, RandomBodiesNeverCrashBackendParsers, (const std::string& body)) {
  char type = *rc::gen::element('R', 'S', 'K', 'Z', 'T', 'D', 'C', 'E', 'N', 't', 'G', '1');
  ParseEverything(BackendFrame{type, body, {}});
}

RC_GTEST_PROP(PgwireFuzzTest, RandomSaslMessagesNeverCrashScram,
              (const std::string& first, const std::string& final_msg)) {
  static const ScramVerifier verifier = *MakeScramVerifier("pw", 1, "salt");
  ScramServer server(verifier);
  std::string client_first = *rc::gen::element(std::string("n,,n=,r=abc"), first);
  if (server.HandleClientFirst(client_first).ok()) {
    RC_ASSERT(!server.HandleClientFinal(final_msg).ok());
  }
  ScramClient client("pw", "", "abc");
  RC_ASSERT(client.ClientFirst().ok());
  (void)client.HandleServerFirst(first);
  (void)client.HandleServerFinal(final_msg);
}

// A seeded loop on top of rapidcheck: many more short random mutations of real traffic.
TEST(PgwireFuzzTest, SeededMutationLoop) {
  std::mt19937 rng(20240611);
  const std::string base = ValidStream();
  for (int iter = 0; iter < 20000; ++iter) {
    std::string wire = base;
    int mutations = 1 + int(rng() % 4);
    for (int i = 0; i < mutations; ++i) {
      size_t at = rng() % wire.size();
      wire[at] = static_cast<char>(rng());
    }
    wire.resize(rng() % (wire.size() + 1));
    FrontendDecoder d;
    std::string startup;
    Encode(startup, StartupMessage{});
    d.Append(startup);
    ASSERT_TRUE(d.Next().has_value());
    d.Append(wire);
    Decoded<FrontendMessage> m = d.Next();
    while (m.has_value()) m = d.Next();
    ASSERT_TRUE(m.need_more_data() || m.status().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace domicile::pgwire
