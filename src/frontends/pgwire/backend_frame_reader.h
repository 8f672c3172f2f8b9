// BackendFrameReader: splits server -> router bytes into whole messages without decoding them.
#pragma once

#include <cstddef>
#include <string_view>

#include "frontends/pgwire/decode_result.h"
#include "frontends/pgwire/protocol.h"
#include "frontends/pgwire/wire_buffer.h"

namespace domicile::pgwire {

// One backend message. Views point into the reader's buffer (valid until its next
// Append()/Prepare()). `raw` is the whole message, ready to forward to a client unchanged.
struct BackendFrame {
  char type = 0;
  std::string_view body;  // after the length word
  std::string_view raw;   // type byte + length + body
};

// Frames one server connection. Feed bytes with Append() (or Prepare()/Commit()), then call
// Next() until it stops returning frames. Unknown type bytes and bad lengths are errors (the
// stream is out of sync); a length over `max_message` fails before its body is buffered.
// Errors are sticky. Not thread-safe: one connection, one thread.
class BackendFrameReader {
 public:
  explicit BackendFrameReader(size_t max_message = kDefaultMaxMessage)
      : max_message_(max_message) {}

  void Append(std::string_view bytes) { buffer_.Append(bytes); }
  char* Prepare(size_t n) { return buffer_.Prepare(n); }
  void Commit(size_t written) { buffer_.Commit(written); }

  Decoded<BackendFrame> Next();
  // Next()'s common case without its Decoded: true with a whole, valid message in `frame`
  // (consumed); false, taking nothing, when more bytes are needed or the message is bad (Next()
  // then waits or reports the error).
  bool TakeFrame(BackendFrame& frame);

  // The longest run of whole, well-formed messages at the front of the buffer whose type
  // bytes are not in `stop`, consumed and returned as one view (valid like a frame's). Empty
  // when the first message is in `stop`, incomplete or bad: Next() takes or reports it. A
  // relay forwards a run of rows to its client with one append instead of one per message.
  std::string_view TakeRun(std::string_view stop);

  // The one-byte answer to an SSLRequest/GSSENCRequest: 'S' or 'N' (consumed), or 'E' (not
  // consumed: an ErrorResponse follows, read it with Next()). Anything else is an error.
  Decoded<char> NextSslResponse();

  size_t buffered() const { return buffer_.size(); }

 private:
  // The size of the whole, valid message starting `at` bytes into `in`; 0 when it is not all
  // there yet or is bad (Next() tells which). The one header check every taker shares.
  size_t WholeMessageAt(std::string_view in, size_t at) const;

  WireBuffer buffer_;
  size_t max_message_;
  Status error_;
};

}  // namespace domicile::pgwire
