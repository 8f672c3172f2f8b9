// Encoders of frontend messages, for the router acting as a client of a shard's server.
#pragma once

#include <string>

#include "frontends/pgwire/messages.h"

namespace domicile::pgwire {

// Each Encode appends one whole message to `out` (no allocation once `out` is warm).
// Contract: lists hold at most 32767 entries and strings carry no NUL (cut at the first).
// CopyData/CopyDone are also what a server sends. Thread-safe as long as `out` is not shared.

void Encode(std::string& out, const StartupMessage& m);
void Encode(std::string& out, const SslRequest& m);
void Encode(std::string& out, const GssEncRequest& m);
void Encode(std::string& out, const CancelRequest& m);
void Encode(std::string& out, const Query& m);
void Encode(std::string& out, const Parse& m);
void Encode(std::string& out, const Bind& m);
void Encode(std::string& out, const Describe& m);
void Encode(std::string& out, const Execute& m);
void Encode(std::string& out, const Sync& m);
void Encode(std::string& out, const Flush& m);
void Encode(std::string& out, const Close& m);
void Encode(std::string& out, const CopyData& m);
void Encode(std::string& out, const CopyDone& m);
void Encode(std::string& out, const CopyFail& m);
void Encode(std::string& out, const Terminate& m);
void Encode(std::string& out, const PasswordMessage& m);
void Encode(std::string& out, const SaslInitialResponse& m);
void Encode(std::string& out, const SaslResponse& m);
void Encode(std::string& out, const FrontendMessage& m);

}  // namespace domicile::pgwire
