// Encoders of the backend messages the router itself sends to clients.
#pragma once

#include <string>

#include "frontends/pgwire/backend_messages.h"

namespace domicile::pgwire {

// Each Encode appends one whole message to `out`; a reused buffer means no allocation once
// warm. Contract: lists hold at most 32767 entries (the wire's int16 counts) and strings
// carry no NUL (a string is cut at its first NUL). CopyData/CopyDone: frontend_encoder.h
// (same bytes in both directions). Thread-safe as long as `out` is not shared.

void Encode(std::string& out, const AuthenticationOk& m);
void Encode(std::string& out, const AuthenticationCleartextPassword& m);
void Encode(std::string& out, const AuthenticationMd5Password& m);
void Encode(std::string& out, const AuthenticationSasl& m);
void Encode(std::string& out, const AuthenticationSaslContinue& m);
void Encode(std::string& out, const AuthenticationSaslFinal& m);
void Encode(std::string& out, const AuthenticationRequest& m);
void Encode(std::string& out, const ParameterStatus& m);
void Encode(std::string& out, const BackendKeyData& m);
void Encode(std::string& out, const ReadyForQuery& m);
void Encode(std::string& out, const RowDescription& m);
void Encode(std::string& out, const DataRow& m);
void Encode(std::string& out, const CommandComplete& m);
void Encode(std::string& out, const EmptyQueryResponse& m);
void Encode(std::string& out, const ErrorResponse& m);
void Encode(std::string& out, const NoticeResponse& m);
void Encode(std::string& out, const ParseComplete& m);
void Encode(std::string& out, const BindComplete& m);
void Encode(std::string& out, const CloseComplete& m);
void Encode(std::string& out, const NoData& m);
void Encode(std::string& out, const ParameterDescription& m);
void Encode(std::string& out, const PortalSuspended& m);
void Encode(std::string& out, const CopyInResponse& m);
void Encode(std::string& out, const CopyOutResponse& m);

// Shorthand for the common error path: ErrorResponse with S/V, C, M (and D/H if given).
void EncodeError(std::string& out, std::string_view severity, std::string_view sqlstate,
                 std::string_view message, std::string_view detail = {},
                 std::string_view hint = {});

}  // namespace domicile::pgwire
