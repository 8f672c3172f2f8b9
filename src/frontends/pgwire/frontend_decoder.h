// FrontendDecoder: incremental, validating decoder of client -> server bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "domain/status.h"
#include "frontends/pgwire/decode_result.h"
#include "frontends/pgwire/messages.h"
#include "frontends/pgwire/wire_buffer.h"

namespace domicile::pgwire {

struct DecoderLimits {
  size_t max_startup_packet = kDefaultMaxStartupPacket;
  size_t max_message = kDefaultMaxMessage;
  // For types that are always small (Sync, Describe, Close, Execute, ...): no honest client
  // sends them big, so a huge length there is a desynchronised or hostile stream.
  size_t max_small_message = kDefaultMaxSmallMessage;
};

// What a 'p' message means next; set by the session from the request it last sent.
enum class PasswordKind {
  kNone,          // no authentication in progress: a 'p' is a protocol violation
  kPassword,      // after AuthenticationCleartextPassword / AuthenticationMD5Password
  kSaslInitial,   // after AuthenticationSASL
  kSaslResponse,  // after AuthenticationSASLContinue
};

// The states of one client connection, as the decoder sees them.
enum class DecoderPhase {
  kStartup,  // expecting an untyped packet: StartupMessage, SSLRequest, GSSENCRequest, Cancel
  kTyped,    // after StartupMessage: type byte + length + body
  kClosed,   // after CancelRequest or Terminate: no more bytes are acceptable
  kFailed,   // after an error: every Next() repeats it
};

// Decodes one client connection. Feed it bytes with Append() (or Prepare()/Commit() to
// receive straight into its buffer), then call Next() until it stops returning messages.
// Validation happens before any field is read and a length is checked against the limits
// before its body is waited for, so a peer cannot make it buffer more than one limit plus
// one read. Errors are sticky and carry a kInvalidArgument text meant for the client
// (SQLSTATE 08P01, then close). Not thread-safe: one connection, one thread.
// After an SSLRequest/GSSENCRequest the caller must check buffered() == 0 before starting
// the handshake: bytes sent ahead of it were not encrypted and must not be trusted.
class FrontendDecoder {
 public:
  explicit FrontendDecoder(DecoderLimits limits = {}) : limits_(limits) {}

  void Append(std::string_view bytes) { buffer_.Append(bytes); }
  char* Prepare(size_t n) { return buffer_.Prepare(n); }
  void Commit(size_t written) { buffer_.Commit(written); }

  // The next message, NeedMoreData, or the error that ended the stream. Views inside the
  // message stay valid until the next Append()/Prepare().
  Decoded<FrontendMessage> Next();

  // An extended-protocol batch message (Parse, Bind, Describe, Execute, Close) buffered
  // whole: its wire bytes, framed and checked like Next() does (type, length, limits) but
  // with the body not decoded yet, for a caller that decodes the batch once when it runs it
  // (and reports a malformed body then, as Next() would have). nullopt for anything else,
  // or when the frame is incomplete or bad: then Next() decides. Valid like last_raw().
  std::optional<std::string_view> TakeBatchMessage();

  // The SQL of a simple Query buffered whole and well-formed (its text NUL-terminated, with no
  // other NUL), taken without building a FrontendMessage: the common message gets the short
  // way. nullopt for anything else, incomplete or bad: then Next() decides. Valid like
  // last_raw(), which it sets.
  std::optional<std::string_view> TakeQuery();

  // The whole wire bytes (type, length, body) of the typed message Next() returned last, so
  // a caller can forward it unchanged; valid as long as that message's views.
  std::string_view last_raw() const { return last_raw_; }

  // The meaning of the next 'p' message. Reset to kNone once one is decoded; while not
  // kNone, any type other than 'p' or Terminate is a protocol violation (as in PostgreSQL).
  void ExpectPasswordMessage(PasswordKind kind) { password_kind_ = kind; }

  DecoderPhase phase() const { return phase_; }
  // Bytes received and not yet decoded.
  size_t buffered() const { return buffer_.size(); }
  // The first byte buffered (after the startup packet, the next message's type); 0 when
  // nothing is: what the caller tries first.
  char PeekType() const { return buffer_.size() > 0 ? buffer_.Readable()[0] : '\0'; }

 private:
  // The size of the typed message at the front of `in` when it is whole and within its type's
  // limit; 0 otherwise (PeekFrame says why). The takers' shared check.
  size_t WholeTypedSize(std::string_view in) const;
  Decoded<FrontendMessage> NextStartup();
  // A typed message's frame at the front of the buffer: its type and wire bytes once whole
  // and within the limits. Consumes nothing.
  struct Frame {
    char type;
    std::string_view raw;
  };
  Decoded<Frame> PeekFrame() const;
  Decoded<FrontendMessage> NextTyped();
  Decoded<FrontendMessage> Fail(Status status);

  DecoderLimits limits_;
  WireBuffer buffer_;
  DecoderPhase phase_ = DecoderPhase::kStartup;
  PasswordKind password_kind_ = PasswordKind::kNone;
  Status error_;
  std::string_view last_raw_;
};

// The body decoders behind FrontendDecoder, for callers that framed the bytes themselves;
// views in the result point into `body`.
// A startup-phase packet without its length word: the int32 code, then what follows it.
Result<FrontendMessage> DecodeStartupPacket(std::string_view body);
// A typed message without its type byte and length word.
Result<FrontendMessage> DecodeFrontendMessage(char type, std::string_view body,
                                              PasswordKind password_kind);
// The same into `out`: a Parse or Bind decoded over one already there reuses its lists'
// storage, so a session that keeps its batch's messages decodes Binds without allocating.
// On error `out` holds an empty message of the type.
Status DecodeFrontendMessageInto(char type, std::string_view body, PasswordKind password_kind,
                                 FrontendMessage& out);

}  // namespace domicile::pgwire
