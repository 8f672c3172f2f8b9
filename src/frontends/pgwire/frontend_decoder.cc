// FrontendDecoder: framing of client bytes and validation of each frontend message body.
#include "frontends/pgwire/frontend_decoder.h"

#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "frontends/pgwire/wire_reader.h"

namespace domicile::pgwire {
namespace {

// Printable form of a type byte for error texts: 'Q', or its number when unprintable.
std::string TypeText(char type) {
  auto u = static_cast<unsigned char>(type);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + type + "'";
  return std::to_string(u);
}

Status Invalid(std::string_view message_name, std::string_view why) {
  return InvalidArgument("invalid " + std::string(message_name) + " message: " + std::string(why));
}

// Every decoder ends here: a body must be consumed exactly.
template <typename M>
Result<FrontendMessage> Finish(const WireReader& r, std::string_view name, M&& message) {
  if (!r.AtEnd()) {
    return Invalid(name, std::to_string(r.remaining()) + " unexpected trailing bytes");
  }
  return FrontendMessage(std::forward<M>(message));
}

bool IsKnownType(char type) {
  switch (type) {
    case fe::kQuery:
    case fe::kParse:
    case fe::kBind:
    case fe::kDescribe:
    case fe::kExecute:
    case fe::kSync:
    case fe::kFlush:
    case fe::kClose:
    case fe::kCopyData:
    case fe::kCopyDone:
    case fe::kCopyFail:
    case fe::kTerminate:
    case fe::kPassword:
      return true;
    default:
      return false;
  }
}

// Types whose body is small by construction (names, a count, nothing at all).
bool IsSmallType(char type) {
  switch (type) {
    case fe::kSync:
    case fe::kFlush:
    case fe::kTerminate:
    case fe::kCopyDone:
    case fe::kDescribe:
    case fe::kClose:
    case fe::kExecute:
    case fe::kCopyFail:
      return true;
    default:
      return false;
  }
}

Result<FrontendMessage> DecodeQuery(WireReader& r) {
  Query m;
  if (!r.ReadCString(&m.sql)) return Invalid("Query", "query string is not NUL-terminated");
  return Finish(r, "Query", std::move(m));
}

// The end of a decoder that fills a message in place: the body must be consumed exactly.
Status FinishInto(const WireReader& r, std::string_view name) {
  if (!r.AtEnd()) {
    return Invalid(name, std::to_string(r.remaining()) + " unexpected trailing bytes");
  }
  return Status::Ok();
}

// A message a decoder of the Into kind fills, as a new FrontendMessage.
template <typename M>
Result<FrontendMessage> DecodeNew(WireReader& r, Status (*decode_into)(WireReader&, M&)) {
  M m;
  Status st = decode_into(r, m);
  if (!st.ok()) return st;
  return FrontendMessage(std::move(m));
}

// Parse and Bind decode into a message of theirs whose lists keep their capacity from one
// batch to the next (DecodeFrontendMessageInto), or into a new one (DecodeNew).
Status DecodeParseInto(WireReader& r, Parse& m) {
  int16_t count = 0;
  if (!r.ReadCString(&m.name)) return Invalid("Parse", "statement name is not NUL-terminated");
  if (!r.ReadCString(&m.query)) return Invalid("Parse", "query string is not NUL-terminated");
  if (!r.ReadInt16(&count)) return Invalid("Parse", "missing parameter type count");
  if (count < 0) return Invalid("Parse", "negative parameter type count");
  if (r.remaining() < size_t(count) * 4) {
    return Invalid("Parse", std::to_string(count) + " parameter types do not fit in the body");
  }
  m.param_types.resize(count);
  for (auto& oid : m.param_types) {
    int32_t v = 0;
    r.ReadInt32(&v);
    oid = static_cast<uint32_t>(v);
  }
  return FinishInto(r, "Parse");
}

// int16 count, then that many int16 format codes.
bool ReadFormats(WireReader& r, std::vector<int16_t>* out) {
  int16_t count = 0;
  if (!r.ReadInt16(&count) || count < 0 || r.remaining() < size_t(count) * 2) return false;
  out->resize(count);
  for (auto& f : *out) r.ReadInt16(&f);
  return true;
}

Status DecodeBindInto(WireReader& r, Bind& m) {
  if (!r.ReadCString(&m.portal)) return Invalid("Bind", "portal name is not NUL-terminated");
  if (!r.ReadCString(&m.statement)) {
    return Invalid("Bind", "statement name is not NUL-terminated");
  }
  if (!ReadFormats(r, &m.param_formats)) return Invalid("Bind", "bad parameter format codes");
  int16_t count = 0;
  if (!r.ReadInt16(&count)) return Invalid("Bind", "missing parameter count");
  if (count < 0) return Invalid("Bind", "negative parameter count");
  if (r.remaining() < size_t(count) * 4) {
    return Invalid("Bind", std::to_string(count) + " parameters do not fit in the body");
  }
  if (m.param_formats.size() > 1 && m.param_formats.size() != size_t(count)) {
    return Invalid("Bind", std::to_string(m.param_formats.size()) + " parameter formats but " +
                               std::to_string(count) + " parameters");
  }
  m.params.assign(count, std::nullopt);
  for (int i = 0; i < count; ++i) {
    int32_t len = 0;
    if (!r.ReadInt32(&len)) return Invalid("Bind", "truncated parameter length");
    if (len == -1) continue;  // NULL
    std::string_view value;
    if (len < 0 || !r.ReadBytes(size_t(len), &value)) {
      return Invalid("Bind", "parameter " + std::to_string(i + 1) + " has length " +
                                 std::to_string(len) + " beyond the body");
    }
    m.params[i] = value;
  }
  if (!ReadFormats(r, &m.result_formats)) return Invalid("Bind", "bad result format codes");
  return FinishInto(r, "Bind");
}

// Describe and Close share their layout: 'S' or 'P', then a name.
template <typename M>
Result<FrontendMessage> DecodeTargeted(WireReader& r, std::string_view name) {
  M m;
  char target = 0;
  if (!r.ReadByte(&target)) return Invalid(name, "missing target");
  if (target != 'S' && target != 'P') {
    return Invalid(name, "target " + TypeText(target) + " is neither 'S' nor 'P'");
  }
  m.target = static_cast<DescribeTarget>(target);
  if (!r.ReadCString(&m.name)) return Invalid(name, "name is not NUL-terminated");
  return Finish(r, name, std::move(m));
}

Result<FrontendMessage> DecodeExecute(WireReader& r) {
  Execute m;
  if (!r.ReadCString(&m.portal)) return Invalid("Execute", "portal name is not NUL-terminated");
  if (!r.ReadInt32(&m.max_rows)) return Invalid("Execute", "missing row limit");
  return Finish(r, "Execute", std::move(m));
}

Result<FrontendMessage> DecodePassword(WireReader& r, PasswordKind kind) {
  switch (kind) {
    case PasswordKind::kNone:
      return InvalidArgument("unexpected password message: no authentication in progress");
    case PasswordKind::kPassword: {
      PasswordMessage m;
      if (!r.ReadCString(&m.password)) {
        return Invalid("PasswordMessage", "password is not NUL-terminated");
      }
      return Finish(r, "PasswordMessage", std::move(m));
    }
    case PasswordKind::kSaslInitial: {
      SaslInitialResponse m;
      int32_t len = 0;
      if (!r.ReadCString(&m.mechanism)) {
        return Invalid("SASLInitialResponse", "mechanism is not NUL-terminated");
      }
      if (!r.ReadInt32(&len)) return Invalid("SASLInitialResponse", "missing data length");
      if (len != -1) {
        std::string_view data;
        if (len < 0 || !r.ReadBytes(size_t(len), &data)) {
          return Invalid("SASLInitialResponse",
                         "data length " + std::to_string(len) + " does not match the body");
        }
        m.data = data;
      }
      return Finish(r, "SASLInitialResponse", std::move(m));
    }
    case PasswordKind::kSaslResponse:
      return FrontendMessage(SaslResponse{r.Rest()});
  }
  return Internal("unknown PasswordKind");
}

}  // namespace

std::string_view MessageName(const FrontendMessage& message) {
  static constexpr std::array<std::string_view, std::variant_size_v<FrontendMessage>> kNames = {
      "StartupMessage", "SSLRequest",      "GSSENCRequest",
      "CancelRequest",  "Query",           "Parse",
      "Bind",           "Describe",        "Execute",
      "Sync",           "Flush",           "Close",
      "CopyData",       "CopyDone",        "CopyFail",
      "Terminate",      "PasswordMessage", "SASLInitialResponse",
      "SASLResponse"};
  return kNames[message.index()];
}

Result<FrontendMessage> DecodeStartupPacket(std::string_view body) {
  WireReader r(body);
  int32_t code = 0;
  if (!r.ReadInt32(&code)) return Invalid("startup", "missing protocol code");
  switch (code) {
    case kSslRequestCode:
      return Finish(r, "SSLRequest", SslRequest{});
    case kGssEncRequestCode:
      return Finish(r, "GSSENCRequest", GssEncRequest{});
    case kCancelRequestCode: {
      CancelRequest m;
      if (!r.ReadInt32(&m.pid) || !r.ReadInt32(&m.secret)) {
        return Invalid("CancelRequest", "truncated key");
      }
      return Finish(r, "CancelRequest", std::move(m));
    }
    default:
      break;
  }
  if ((code >> 16) != 3) {
    return InvalidArgument("unsupported frontend protocol " + std::to_string(code >> 16) + "." +
                           std::to_string(code & 0xffff) + ": server supports 3.0");
  }
  StartupMessage m;
  m.protocol_version = code;
  for (;;) {
    std::string_view name;
    std::string_view value;
    if (!r.ReadCString(&name)) {
      return Invalid("startup", "expected terminator as last byte");
    }
    if (name.empty()) break;
    if (!r.ReadCString(&value)) {
      return Invalid("startup", "parameter '" + std::string(name) + "' has no value");
    }
    m.parameters.insert_or_assign(std::string(name), std::string(value));
  }
  return Finish(r, "startup", std::move(m));
}

Result<FrontendMessage> DecodeFrontendMessage(char type, std::string_view body,
                                              PasswordKind password_kind) {
  WireReader r(body);
  switch (type) {
    case fe::kQuery:
      return DecodeQuery(r);
    case fe::kParse:
      return DecodeNew<Parse>(r, DecodeParseInto);
    case fe::kBind:
      return DecodeNew<Bind>(r, DecodeBindInto);
    case fe::kDescribe:
      return DecodeTargeted<Describe>(r, "Describe");
    case fe::kExecute:
      return DecodeExecute(r);
    case fe::kSync:
      return Finish(r, "Sync", Sync{});
    case fe::kFlush:
      return Finish(r, "Flush", Flush{});
    case fe::kClose:
      return DecodeTargeted<Close>(r, "Close");
    case fe::kCopyData:
      return FrontendMessage(CopyData{body});
    case fe::kCopyDone:
      return Finish(r, "CopyDone", CopyDone{});
    case fe::kCopyFail: {
      CopyFail m;
      if (!r.ReadCString(&m.message)) return Invalid("CopyFail", "message is not NUL-terminated");
      return Finish(r, "CopyFail", std::move(m));
    }
    case fe::kTerminate:
      return Finish(r, "Terminate", Terminate{});
    case fe::kPassword:
      return DecodePassword(r, password_kind);
    case fe::kFunctionCall:
      return InvalidArgument("FunctionCall messages are not supported");
    default:
      return InvalidArgument("invalid frontend message type " + TypeText(type));
  }
}

Decoded<FrontendMessage> FrontendDecoder::Next() {
  switch (phase_) {
    case DecoderPhase::kStartup:
      return NextStartup();
    case DecoderPhase::kTyped:
      return NextTyped();
    case DecoderPhase::kClosed:
      if (buffer_.size() == 0) return NeedMoreData{};
      return Fail(InvalidArgument("unexpected data after the end of the connection"));
    case DecoderPhase::kFailed:
      return error_;
  }
  return Fail(Internal("unknown decoder phase"));
}

Decoded<FrontendMessage> FrontendDecoder::Fail(Status status) {
  phase_ = DecoderPhase::kFailed;
  error_ = std::move(status);
  buffer_.Clear();
  return error_;
}

Decoded<FrontendMessage> FrontendDecoder::NextStartup() {
  std::string_view in = buffer_.Readable();
  if (in.size() < kLengthSize) return NeedMoreData{};
  int32_t len = LoadInt32(in.data());
  if (len < 8 || size_t(len) > limits_.max_startup_packet) {
    return Fail(InvalidArgument("invalid length of startup packet: " + std::to_string(len)));
  }
  if (in.size() < size_t(len)) return NeedMoreData{};
  Result<FrontendMessage> m = DecodeStartupPacket(in.substr(kLengthSize, len - kLengthSize));
  if (!m.ok()) return Fail(m.status());
  buffer_.Consume(len);
  if (std::holds_alternative<StartupMessage>(*m)) phase_ = DecoderPhase::kTyped;
  if (std::holds_alternative<CancelRequest>(*m)) phase_ = DecoderPhase::kClosed;
  return std::move(m).value();
}

Decoded<FrontendDecoder::Frame> FrontendDecoder::PeekFrame() const {
  std::string_view in = buffer_.Readable();
  if (in.size() < 1 + kLengthSize) return NeedMoreData{};
  char type = in[0];
  int32_t len = LoadInt32(in.data() + 1);
  if (!IsKnownType(type)) {
    if (type == fe::kFunctionCall) return InvalidArgument("FunctionCall messages are not supported");
    return InvalidArgument("invalid frontend message type " + TypeText(type));
  }
  if (password_kind_ != PasswordKind::kNone && type != fe::kPassword && type != fe::kTerminate) {
    return InvalidArgument("expected a password response, got message type " + TypeText(type));
  }
  if (len < int32_t(kLengthSize)) {
    return InvalidArgument("invalid message length " + std::to_string(len) +
                           " for message type " + TypeText(type));
  }
  size_t body_len = size_t(len) - kLengthSize;
  size_t limit = IsSmallType(type) ? limits_.max_small_message : limits_.max_message;
  if (body_len > limit) {
    return InvalidArgument("message of type " + TypeText(type) + " is " +
                           std::to_string(body_len) + " bytes, over the limit of " +
                           std::to_string(limit));
  }
  if (in.size() < 1 + size_t(len)) return NeedMoreData{};
  return Frame{type, in.substr(0, 1 + size_t(len))};
}

Decoded<FrontendMessage> FrontendDecoder::NextTyped() {
  Decoded<Frame> frame = PeekFrame();
  if (frame.need_more_data()) return NeedMoreData{};
  if (frame.is_error()) return Fail(frame.status());
  const auto [type, raw] = frame.value();
  Result<FrontendMessage> m =
      DecodeFrontendMessage(type, raw.substr(1 + kLengthSize), password_kind_);
  if (!m.ok()) return Fail(m.status());
  last_raw_ = raw;
  buffer_.Consume(raw.size());
  if (type == fe::kPassword) password_kind_ = PasswordKind::kNone;
  if (type == fe::kTerminate) phase_ = DecoderPhase::kClosed;
  return std::move(m).value();
}

size_t FrontendDecoder::WholeTypedSize(std::string_view in) const {
  if (phase_ != DecoderPhase::kTyped || password_kind_ != PasswordKind::kNone ||
      in.size() < 1 + kLengthSize) {
    return 0;
  }
  const int32_t len = LoadInt32(in.data() + 1);
  const size_t limit = IsSmallType(in[0]) ? limits_.max_small_message : limits_.max_message;
  if (len < int32_t(kLengthSize) || size_t(len) - kLengthSize > limit ||
      in.size() < 1 + size_t(len)) {
    return 0;
  }
  return 1 + size_t(len);
}

std::optional<std::string_view> FrontendDecoder::TakeBatchMessage() {
  // PeekFrame's checks without its Decoded: every extended-protocol message comes this way.
  std::string_view in = buffer_.Readable();
  if (in.empty()) return std::nullopt;
  const char type = in[0];
  if (type != fe::kParse && type != fe::kBind && type != fe::kDescribe &&
      type != fe::kExecute && type != fe::kClose) {
    return std::nullopt;
  }
  const size_t size = WholeTypedSize(in);
  if (size == 0) return std::nullopt;  // Next() waits or reports the error
  last_raw_ = in.substr(0, size);
  buffer_.Consume(size);
  return last_raw_;
}

std::optional<std::string_view> FrontendDecoder::TakeQuery() {
  std::string_view in = buffer_.Readable();
  if (in.empty() || in[0] != fe::kQuery) return std::nullopt;
  const size_t size = WholeTypedSize(in);
  if (size <= 1 + kLengthSize) return std::nullopt;  // incomplete, bad, or no text at all
  std::string_view body = in.substr(1 + kLengthSize, size - 1 - kLengthSize);
  if (body.back() != '\0' || std::memchr(body.data(), '\0', body.size() - 1) != nullptr) {
    return std::nullopt;  // DecodeQuery's error, reported by Next()
  }
  last_raw_ = in.substr(0, size);
  buffer_.Consume(size);
  body.remove_suffix(1);
  return body;
}

namespace {

// Decodes over `out`'s message of type M, made first when `out` holds another type; on error
// leaves an empty M, no half-decoded one.
template <typename M>
Status DecodeOver(WireReader& r, Status (*decode_into)(WireReader&, M&), FrontendMessage& out) {
  if (!std::holds_alternative<M>(out)) out.emplace<M>();
  Status st = decode_into(r, std::get<M>(out));
  if (!st.ok()) out.emplace<M>();
  return st;
}

}  // namespace

Status DecodeFrontendMessageInto(char type, std::string_view body, PasswordKind password_kind,
                                 FrontendMessage& out) {
  WireReader r(body);
  if (type == fe::kParse) return DecodeOver<Parse>(r, DecodeParseInto, out);
  if (type == fe::kBind) return DecodeOver<Bind>(r, DecodeBindInto, out);
  Result<FrontendMessage> m = DecodeFrontendMessage(type, body, password_kind);
  if (!m.ok()) return m.status();
  out = std::move(m).value();
  return Status::Ok();
}

}  // namespace domicile::pgwire
