// BackendFrameReader: length-prefixed framing of server messages, checked before buffering.
#include "frontends/pgwire/backend_frame_reader.h"

#include <string>

#include "frontends/pgwire/wire_reader.h"

namespace domicile::pgwire {
namespace {

bool IsKnownBackendType(char type) {
  switch (type) {
    case be::kAuthentication:
    case be::kParameterStatus:
    case be::kBackendKeyData:
    case be::kReadyForQuery:
    case be::kRowDescription:
    case be::kDataRow:
    case be::kCommandComplete:
    case be::kEmptyQueryResponse:
    case be::kErrorResponse:
    case be::kNoticeResponse:
    case be::kParseComplete:
    case be::kBindComplete:
    case be::kCloseComplete:
    case be::kNoData:
    case be::kParameterDescription:
    case be::kPortalSuspended:
    case be::kCopyInResponse:
    case be::kCopyOutResponse:
    case be::kCopyBothResponse:
    case be::kCopyData:
    case be::kCopyDone:
    case be::kNegotiateProtocolVersion:
    case be::kNotificationResponse:
    case 'V':  // FunctionCallResponse
      return true;
    default:
      return false;
  }
}

}  // namespace

size_t BackendFrameReader::WholeMessageAt(std::string_view in, size_t at) const {
  if (in.size() - at < 1 + kLengthSize || !IsKnownBackendType(in[at])) return 0;
  const int32_t len = LoadInt32(in.data() + at + 1);
  if (len < int32_t(kLengthSize) || size_t(len) - kLengthSize > max_message_ ||
      size_t(len) > in.size() - at - 1) {
    return 0;
  }
  return 1 + size_t(len);
}

Decoded<BackendFrame> BackendFrameReader::Next() {
  BackendFrame frame;
  if (TakeFrame(frame)) return frame;
  // Not a whole, valid message: wait for more bytes, or say what is wrong with it.
  if (!error_.ok()) return error_;
  std::string_view in = buffer_.Readable();
  if (in.size() < 1 + kLengthSize) return NeedMoreData{};
  char type = in[0];
  int32_t len = LoadInt32(in.data() + 1);
  if (!IsKnownBackendType(type)) {
    error_ = InvalidArgument("invalid backend message type " +
                             std::to_string(static_cast<unsigned char>(type)));
  } else if (len < int32_t(kLengthSize)) {
    error_ = InvalidArgument("invalid backend message length " + std::to_string(len));
  } else if (size_t(len) - kLengthSize > max_message_) {
    error_ = InvalidArgument("backend message of " + std::to_string(len) +
                             " bytes is over the limit of " + std::to_string(max_message_));
  }
  if (!error_.ok()) {
    buffer_.Clear();
    return error_;
  }
  return NeedMoreData{};  // a good header, the rest not here yet
}

bool BackendFrameReader::TakeFrame(BackendFrame& frame) {
  if (!error_.ok()) return false;
  std::string_view in = buffer_.Readable();
  const size_t total = WholeMessageAt(in, 0);
  if (total == 0) return false;
  buffer_.Consume(total);
  frame = BackendFrame{in[0], in.substr(1 + kLengthSize, total - 1 - kLengthSize),
                       in.substr(0, total)};
  return true;
}

std::string_view BackendFrameReader::TakeRun(std::string_view stop) {
  if (!error_.ok()) return {};
  std::string_view in = buffer_.Readable();
  size_t at = 0;
  while (at < in.size()) {
    bool stops = false;
    for (char c : stop) stops |= c == in[at];  // a few bytes: cheaper than find()'s memchr
    const size_t size = stops ? 0 : WholeMessageAt(in, at);
    if (size == 0) break;  // a stop type, or bad or not all here: Next() says which
    at += size;
  }
  buffer_.Consume(at);
  return in.substr(0, at);
}

Decoded<char> BackendFrameReader::NextSslResponse() {
  if (!error_.ok()) return error_;
  std::string_view in = buffer_.Readable();
  if (in.empty()) return NeedMoreData{};
  char c = in[0];
  if (c == 'S' || c == 'N') {
    buffer_.Consume(1);
    return c;
  }
  if (c == be::kErrorResponse) return c;
  error_ = InvalidArgument("invalid answer to an encryption request: " +
                           std::to_string(static_cast<unsigned char>(c)));
  buffer_.Clear();
  return error_;
}

}  // namespace domicile::pgwire
