// Backend message encoders over WireWriter.
#include "frontends/pgwire/backend_encoder.h"

#include "frontends/pgwire/wire_writer.h"

namespace domicile::pgwire {
namespace {

void Empty(std::string& out, char type) {
  WireWriter w(out);
  w.Begin(type);
  w.End();
}

void Auth(std::string& out, AuthCode code, std::string_view payload = {}) {
  WireWriter w(out);
  w.Begin(be::kAuthentication);
  w.Int32(static_cast<int32_t>(code));
  w.Bytes(payload);
  w.End();
}

void Fields(std::string& out, char type, const ErrorFields& fields) {
  WireWriter w(out);
  w.Begin(type);
  for (const auto& [code, value] : fields.fields()) {
    w.Byte(code);
    w.CString(value);
  }
  w.Byte('\0');
  w.End();
}

void Copy(std::string& out, char type, const CopyResponse& m) {
  WireWriter w(out);
  w.Begin(type);
  w.Byte(static_cast<char>(m.overall_format));
  w.Int16(static_cast<int16_t>(m.column_formats.size()));
  for (int16_t f : m.column_formats) w.Int16(f);
  w.End();
}

}  // namespace

void Encode(std::string& out, const AuthenticationOk&) { Auth(out, AuthCode::kOk); }
void Encode(std::string& out, const AuthenticationCleartextPassword&) {
  Auth(out, AuthCode::kCleartextPassword);
}
void Encode(std::string& out, const AuthenticationMd5Password& m) {
  Auth(out, AuthCode::kMd5Password, std::string_view(m.salt.data(), m.salt.size()));
}
void Encode(std::string& out, const AuthenticationSasl& m) {
  WireWriter w(out);
  w.Begin(be::kAuthentication);
  w.Int32(static_cast<int32_t>(AuthCode::kSasl));
  for (std::string_view mech : m.mechanisms) w.CString(mech);
  w.Byte('\0');
  w.End();
}
void Encode(std::string& out, const AuthenticationSaslContinue& m) {
  Auth(out, AuthCode::kSaslContinue, m.data);
}
void Encode(std::string& out, const AuthenticationSaslFinal& m) {
  Auth(out, AuthCode::kSaslFinal, m.data);
}
void Encode(std::string& out, const AuthenticationRequest& m) {
  std::visit([&out](const auto& r) { Encode(out, r); }, m);
}

void Encode(std::string& out, const ParameterStatus& m) {
  WireWriter w(out);
  w.Begin(be::kParameterStatus);
  w.CString(m.name);
  w.CString(m.value);
  w.End();
}

void Encode(std::string& out, const BackendKeyData& m) {
  WireWriter w(out);
  w.Begin(be::kBackendKeyData);
  w.Int32(m.pid);
  w.Int32(m.secret);
  w.End();
}

void Encode(std::string& out, const ReadyForQuery& m) {
  WireWriter w(out);
  w.Begin(be::kReadyForQuery);
  w.Byte(static_cast<char>(m.status));
  w.End();
}

void Encode(std::string& out, const RowDescription& m) {
  WireWriter w(out);
  w.Begin(be::kRowDescription);
  w.Int16(static_cast<int16_t>(m.fields.size()));
  for (const FieldDescription& f : m.fields) {
    w.CString(f.name);
    w.Int32(static_cast<int32_t>(f.table_oid));
    w.Int16(f.column_attnum);
    w.Int32(static_cast<int32_t>(f.type_oid));
    w.Int16(f.type_len);
    w.Int32(f.type_modifier);
    w.Int16(f.format);
  }
  w.End();
}

void Encode(std::string& out, const DataRow& m) {
  WireWriter w(out);
  w.Begin(be::kDataRow);
  w.Int16(static_cast<int16_t>(m.values.size()));
  for (const auto& v : m.values) {
    if (!v) {
      w.Int32(-1);
      continue;
    }
    w.Int32(static_cast<int32_t>(v->size()));
    w.Bytes(*v);
  }
  w.End();
}

void Encode(std::string& out, const CommandComplete& m) {
  WireWriter w(out);
  w.Begin(be::kCommandComplete);
  w.CString(m.tag);
  w.End();
}

void Encode(std::string& out, const EmptyQueryResponse&) { Empty(out, be::kEmptyQueryResponse); }
void Encode(std::string& out, const ErrorResponse& m) { Fields(out, be::kErrorResponse, m.fields); }
void Encode(std::string& out, const NoticeResponse& m) {
  Fields(out, be::kNoticeResponse, m.fields);
}
void Encode(std::string& out, const ParseComplete&) { Empty(out, be::kParseComplete); }
void Encode(std::string& out, const BindComplete&) { Empty(out, be::kBindComplete); }
void Encode(std::string& out, const CloseComplete&) { Empty(out, be::kCloseComplete); }
void Encode(std::string& out, const NoData&) { Empty(out, be::kNoData); }
void Encode(std::string& out, const PortalSuspended&) { Empty(out, be::kPortalSuspended); }

void Encode(std::string& out, const ParameterDescription& m) {
  WireWriter w(out);
  w.Begin(be::kParameterDescription);
  w.Int16(static_cast<int16_t>(m.type_oids.size()));
  for (uint32_t oid : m.type_oids) w.Int32(static_cast<int32_t>(oid));
  w.End();
}

void Encode(std::string& out, const CopyInResponse& m) { Copy(out, be::kCopyInResponse, m.copy); }
void Encode(std::string& out, const CopyOutResponse& m) { Copy(out, be::kCopyOutResponse, m.copy); }

void EncodeError(std::string& out, std::string_view severity, std::string_view sqlstate,
                 std::string_view message, std::string_view detail, std::string_view hint) {
  Encode(out, ErrorResponse{MakeErrorFields(severity, sqlstate, message, detail, hint)});
}

}  // namespace domicile::pgwire
