// Frontend message encoders over WireWriter.
#include "frontends/pgwire/frontend_encoder.h"

#include "frontends/pgwire/wire_writer.h"

namespace domicile::pgwire {
namespace {

void Empty(std::string& out, char type) {
  WireWriter w(out);
  w.Begin(type);
  w.End();
}

void Code(std::string& out, int32_t code) {
  WireWriter w(out);
  w.BeginUntyped();
  w.Int32(code);
  w.End();
}

void Named(std::string& out, char type, DescribeTarget target, std::string_view name) {
  WireWriter w(out);
  w.Begin(type);
  w.Byte(static_cast<char>(target));
  w.CString(name);
  w.End();
}

void Formats(WireWriter& w, const std::vector<int16_t>& formats) {
  w.Int16(static_cast<int16_t>(formats.size()));
  for (int16_t f : formats) w.Int16(f);
}

}  // namespace

void Encode(std::string& out, const StartupMessage& m) {
  WireWriter w(out);
  w.BeginUntyped();
  w.Int32(m.protocol_version);
  for (const auto& [name, value] : m.parameters) {
    if (name.empty()) continue;  // an empty name would end the list early
    w.CString(name);
    w.CString(value);
  }
  w.Byte('\0');
  w.End();
}

void Encode(std::string& out, const SslRequest&) { Code(out, kSslRequestCode); }
void Encode(std::string& out, const GssEncRequest&) { Code(out, kGssEncRequestCode); }

void Encode(std::string& out, const CancelRequest& m) {
  WireWriter w(out);
  w.BeginUntyped();
  w.Int32(kCancelRequestCode);
  w.Int32(m.pid);
  w.Int32(m.secret);
  w.End();
}

void Encode(std::string& out, const Query& m) {
  WireWriter w(out);
  w.Begin(fe::kQuery);
  w.CString(m.sql);
  w.End();
}

void Encode(std::string& out, const Parse& m) {
  WireWriter w(out);
  w.Begin(fe::kParse);
  w.CString(m.name);
  w.CString(m.query);
  w.Int16(static_cast<int16_t>(m.param_types.size()));
  for (uint32_t oid : m.param_types) w.Int32(static_cast<int32_t>(oid));
  w.End();
}

void Encode(std::string& out, const Bind& m) {
  WireWriter w(out);
  w.Begin(fe::kBind);
  w.CString(m.portal);
  w.CString(m.statement);
  Formats(w, m.param_formats);
  w.Int16(static_cast<int16_t>(m.params.size()));
  for (const auto& p : m.params) {
    if (!p) {
      w.Int32(-1);
      continue;
    }
    w.Int32(static_cast<int32_t>(p->size()));
    w.Bytes(*p);
  }
  Formats(w, m.result_formats);
  w.End();
}

void Encode(std::string& out, const Describe& m) { Named(out, fe::kDescribe, m.target, m.name); }

void Encode(std::string& out, const Execute& m) {
  WireWriter w(out);
  w.Begin(fe::kExecute);
  w.CString(m.portal);
  w.Int32(m.max_rows);
  w.End();
}

void Encode(std::string& out, const Sync&) { Empty(out, fe::kSync); }
void Encode(std::string& out, const Flush&) { Empty(out, fe::kFlush); }
void Encode(std::string& out, const Close& m) { Named(out, fe::kClose, m.target, m.name); }

void Encode(std::string& out, const CopyData& m) {
  WireWriter w(out);
  w.Begin(fe::kCopyData);
  w.Bytes(m.data);
  w.End();
}

void Encode(std::string& out, const CopyDone&) { Empty(out, fe::kCopyDone); }

void Encode(std::string& out, const CopyFail& m) {
  WireWriter w(out);
  w.Begin(fe::kCopyFail);
  w.CString(m.message);
  w.End();
}

void Encode(std::string& out, const Terminate&) { Empty(out, fe::kTerminate); }

void Encode(std::string& out, const PasswordMessage& m) {
  WireWriter w(out);
  w.Begin(fe::kPassword);
  w.CString(m.password);
  w.End();
}

void Encode(std::string& out, const SaslInitialResponse& m) {
  WireWriter w(out);
  w.Begin(fe::kPassword);
  w.CString(m.mechanism);
  if (m.data) {
    w.Int32(static_cast<int32_t>(m.data->size()));
    w.Bytes(*m.data);
  } else {
    w.Int32(-1);
  }
  w.End();
}

void Encode(std::string& out, const SaslResponse& m) {
  WireWriter w(out);
  w.Begin(fe::kPassword);
  w.Bytes(m.data);
  w.End();
}

void Encode(std::string& out, const FrontendMessage& m) {
  std::visit([&out](const auto& msg) { Encode(out, msg); }, m);
}

}  // namespace domicile::pgwire
