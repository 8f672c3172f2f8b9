// Validating decoders of backend message bodies, and the ErrorFields helpers.
#include "frontends/pgwire/backend_parsers.h"

#include <string>

#include "frontends/pgwire/wire_reader.h"

namespace domicile::pgwire {
namespace {

Status Invalid(std::string_view name, std::string_view why) {
  return InvalidArgument("invalid " + std::string(name) +
                         " message from server: " + std::string(why));
}

Status CheckType(const BackendFrame& frame, char type, std::string_view name) {
  if (frame.type == type) return Status::Ok();
  return InvalidArgument("expected " + std::string(name) + ", got message type " +
                         std::to_string(static_cast<unsigned char>(frame.type)));
}

Status CheckEnd(const WireReader& r, std::string_view name) {
  if (r.AtEnd()) return Status::Ok();
  return Invalid(name, std::to_string(r.remaining()) + " unexpected trailing bytes");
}

}  // namespace

void ErrorFields::Set(char code, std::string_view value) {
  if (code == '\0') return;
  for (auto& [c, v] : fields_) {
    if (c == code) {
      v = value;
      return;
    }
  }
  fields_.emplace_back(code, std::string(value));
}

std::string_view ErrorFields::Get(char code) const {
  for (const auto& [c, v] : fields_) {
    if (c == code) return v;
  }
  return {};
}

bool ErrorFields::Has(char code) const {
  for (const auto& f : fields_) {
    if (f.first == code) return true;
  }
  return false;
}

ErrorFields MakeErrorFields(std::string_view severity, std::string_view sqlstate,
                            std::string_view message, std::string_view detail,
                            std::string_view hint) {
  ErrorFields f;
  f.Set(ErrorFields::kSeverity, severity);
  f.Set(ErrorFields::kSeverityRaw, severity);
  f.Set(ErrorFields::kSqlState, sqlstate);
  f.Set(ErrorFields::kMessage, message);
  if (!detail.empty()) f.Set(ErrorFields::kDetail, detail);
  if (!hint.empty()) f.Set(ErrorFields::kHint, hint);
  return f;
}

Result<AuthenticationRequest> ParseAuthentication(const BackendFrame& frame) {
  DOMICILE_RETURN_IF_ERROR(CheckType(frame, be::kAuthentication, "Authentication"));
  WireReader r(frame.body);
  int32_t code = 0;
  if (!r.ReadInt32(&code)) return Invalid("Authentication", "missing code");
  AuthenticationRequest out;
  switch (static_cast<AuthCode>(code)) {
    case AuthCode::kOk:
      out = AuthenticationOk{};
      break;
    case AuthCode::kCleartextPassword:
      out = AuthenticationCleartextPassword{};
      break;
    case AuthCode::kMd5Password: {
      AuthenticationMd5Password m;
      std::string_view salt;
      if (!r.ReadBytes(4, &salt)) return Invalid("AuthenticationMD5Password", "short salt");
      salt.copy(m.salt.data(), 4);
      out = m;
      break;
    }
    case AuthCode::kSasl: {
      AuthenticationSasl m;
      for (;;) {
        std::string_view mech;
        if (!r.ReadCString(&mech)) {
          return Invalid("AuthenticationSASL", "mechanism list is not terminated");
        }
        if (mech.empty()) break;
        m.mechanisms.push_back(mech);
      }
      out = std::move(m);
      break;
    }
    case AuthCode::kSaslContinue:
    case AuthCode::kSaslFinal: {
      std::string_view data;
      r.ReadBytes(r.remaining(), &data);
      if (code == int32_t(AuthCode::kSaslFinal)) {
        out = AuthenticationSaslFinal{data};
      } else {
        out = AuthenticationSaslContinue{data};
      }
      break;
    }
    default:
      return InvalidArgument("unsupported authentication request " + std::to_string(code) +
                             " from server");
  }
  DOMICILE_RETURN_IF_ERROR(CheckEnd(r, "Authentication"));
  return out;
}

Result<ParameterStatus> ParseParameterStatus(const BackendFrame& frame) {
  DOMICILE_RETURN_IF_ERROR(CheckType(frame, be::kParameterStatus, "ParameterStatus"));
  WireReader r(frame.body);
  ParameterStatus m;
  if (!r.ReadCString(&m.name) || !r.ReadCString(&m.value)) {
    return Invalid("ParameterStatus", "string is not NUL-terminated");
  }
  DOMICILE_RETURN_IF_ERROR(CheckEnd(r, "ParameterStatus"));
  return m;
}

Result<BackendKeyData> ParseBackendKeyData(const BackendFrame& frame) {
  DOMICILE_RETURN_IF_ERROR(CheckType(frame, be::kBackendKeyData, "BackendKeyData"));
  WireReader r(frame.body);
  BackendKeyData m;
  if (!r.ReadInt32(&m.pid) || !r.ReadInt32(&m.secret)) {
    return Invalid("BackendKeyData", "truncated key");
  }
  DOMICILE_RETURN_IF_ERROR(CheckEnd(r, "BackendKeyData"));
  return m;
}

Result<ReadyForQuery> ParseReadyForQuery(const BackendFrame& frame) {
  DOMICILE_RETURN_IF_ERROR(CheckType(frame, be::kReadyForQuery, "ReadyForQuery"));
  WireReader r(frame.body);
  char s = 0;
  if (!r.ReadByte(&s)) return Invalid("ReadyForQuery", "missing status");
  if (s != 'I' && s != 'T' && s != 'E') {
    return Invalid("ReadyForQuery",
                   "unknown transaction status " + std::to_string(static_cast<unsigned char>(s)));
  }
  DOMICILE_RETURN_IF_ERROR(CheckEnd(r, "ReadyForQuery"));
  return ReadyForQuery{static_cast<TransactionStatus>(s)};
}

Result<RowDescription> ParseRowDescription(const BackendFrame& frame) {
  DOMICILE_RETURN_IF_ERROR(CheckType(frame, be::kRowDescription, "RowDescription"));
  WireReader r(frame.body);
  int16_t count = 0;
  if (!r.ReadInt16(&count) || count < 0) return Invalid("RowDescription", "bad field count");
  // Each field takes at least its NUL and 18 bytes of numbers.
  if (r.remaining() < size_t(count) * 19) {
    return Invalid("RowDescription", std::to_string(count) + " fields do not fit in the body");
  }
  RowDescription m;
  m.fields.resize(count);
  for (auto& f : m.fields) {
    int32_t table = 0;
    int32_t type = 0;
    if (!r.ReadCString(&f.name) || !r.ReadInt32(&table) || !r.ReadInt16(&f.column_attnum) ||
        !r.ReadInt32(&type) || !r.ReadInt16(&f.type_len) || !r.ReadInt32(&f.type_modifier) ||
        !r.ReadInt16(&f.format)) {
      return Invalid("RowDescription", "truncated field");
    }
    f.table_oid = static_cast<uint32_t>(table);
    f.type_oid = static_cast<uint32_t>(type);
  }
  DOMICILE_RETURN_IF_ERROR(CheckEnd(r, "RowDescription"));
  return m;
}

Result<DataRow> ParseDataRow(const BackendFrame& frame) {
  DOMICILE_RETURN_IF_ERROR(CheckType(frame, be::kDataRow, "DataRow"));
  WireReader r(frame.body);
  int16_t count = 0;
  if (!r.ReadInt16(&count) || count < 0) return Invalid("DataRow", "bad column count");
  if (r.remaining() < size_t(count) * 4) {
    return Invalid("DataRow", std::to_string(count) + " columns do not fit in the body");
  }
  DataRow m;
  m.values.resize(count);
  for (auto& v : m.values) {
    int32_t len = 0;
    r.ReadInt32(&len);
    if (len == -1) continue;
    std::string_view bytes;
    if (len < 0 || !r.ReadBytes(size_t(len), &bytes)) {
      return Invalid("DataRow", "column length " + std::to_string(len) + " beyond the body");
    }
    v = bytes;
  }
  DOMICILE_RETURN_IF_ERROR(CheckEnd(r, "DataRow"));
  return m;
}

Result<CommandComplete> ParseCommandComplete(const BackendFrame& frame) {
  DOMICILE_RETURN_IF_ERROR(CheckType(frame, be::kCommandComplete, "CommandComplete"));
  WireReader r(frame.body);
  CommandComplete m;
  if (!r.ReadCString(&m.tag)) return Invalid("CommandComplete", "tag is not NUL-terminated");
  DOMICILE_RETURN_IF_ERROR(CheckEnd(r, "CommandComplete"));
  return m;
}

Result<ParameterDescription> ParseParameterDescription(const BackendFrame& frame) {
  DOMICILE_RETURN_IF_ERROR(CheckType(frame, be::kParameterDescription, "ParameterDescription"));
  WireReader r(frame.body);
  int16_t count = 0;
  if (!r.ReadInt16(&count) || count < 0 || r.remaining() != size_t(count) * 4) {
    return Invalid("ParameterDescription", "count does not match the body");
  }
  ParameterDescription m;
  m.type_oids.resize(count);
  for (auto& oid : m.type_oids) {
    int32_t v = 0;
    r.ReadInt32(&v);
    oid = static_cast<uint32_t>(v);
  }
  return m;
}

Result<CopyResponse> ParseCopyResponse(const BackendFrame& frame) {
  if (frame.type != be::kCopyInResponse && frame.type != be::kCopyOutResponse &&
      frame.type != be::kCopyBothResponse) {
    return CheckType(frame, be::kCopyInResponse, "a Copy*Response");
  }
  WireReader r(frame.body);
  char overall = 0;
  int16_t count = 0;
  if (!r.ReadByte(&overall) || !r.ReadInt16(&count) || count < 0 ||
      r.remaining() != size_t(count) * 2) {
    return Invalid("CopyResponse", "format count does not match the body");
  }
  CopyResponse m;
  m.overall_format = static_cast<int8_t>(overall);
  m.column_formats.resize(count);
  for (auto& f : m.column_formats) r.ReadInt16(&f);
  return m;
}

Result<ErrorFields> ParseErrorFields(const BackendFrame& frame) {
  if (frame.type != be::kErrorResponse && frame.type != be::kNoticeResponse) {
    return CheckType(frame, be::kErrorResponse, "ErrorResponse or NoticeResponse");
  }
  WireReader r(frame.body);
  ErrorFields m;
  for (;;) {
    char code = 0;
    std::string_view value;
    if (!r.ReadByte(&code)) return Invalid("ErrorResponse", "field list is not terminated");
    if (code == '\0') break;
    if (!r.ReadCString(&value)) return Invalid("ErrorResponse", "field is not NUL-terminated");
    m.Set(code, value);
  }
  DOMICILE_RETURN_IF_ERROR(CheckEnd(r, "ErrorResponse"));
  return m;
}

Status CheckEmptyMessage(const BackendFrame& frame, char type) {
  DOMICILE_RETURN_IF_ERROR(CheckType(frame, type, std::string(1, type)));
  if (!frame.body.empty()) return Invalid(std::string(1, type), "unexpected body");
  return Status::Ok();
}

}  // namespace domicile::pgwire
