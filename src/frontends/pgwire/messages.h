// Frontend (client -> server) messages of the PostgreSQL v3 protocol as typed structs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "frontends/pgwire/protocol.h"

namespace domicile::pgwire {

// Lifetime: every std::string_view below borrows. A decoded message points into the
// decoder's buffer and is valid until the next FrontendDecoder::Append()/Prepare(); copy
// what must live longer. A message to encode points at the caller's storage, read once.
// StartupMessage owns its strings: a session keeps its parameters for its whole life.

struct StartupMessage {
  int32_t protocol_version = kProtocolVersion3;  // major << 16 | minor
  // user, database, options, application_name, client_encoding, _pq_.*, ... Last one wins
  // on duplicates, as in PostgreSQL.
  std::map<std::string, std::string, std::less<>> parameters;

  // The value of `name`, or empty when absent.
  std::string_view Get(std::string_view name) const {
    auto it = parameters.find(name);
    return it == parameters.end() ? std::string_view() : std::string_view(it->second);
  }
  bool operator==(const StartupMessage&) const = default;
};

struct SslRequest {
  bool operator==(const SslRequest&) const = default;
};
struct GssEncRequest {
  bool operator==(const GssEncRequest&) const = default;
};
struct CancelRequest {
  int32_t pid = 0;
  int32_t secret = 0;
  bool operator==(const CancelRequest&) const = default;
};

struct Query {
  std::string_view sql;
  bool operator==(const Query&) const = default;
};

struct Parse {
  std::string_view name;  // empty: the unnamed statement
  std::string_view query;
  std::vector<uint32_t> param_types;  // OIDs; 0 = let the server infer
  bool operator==(const Parse&) const = default;
};

struct Bind {
  std::string_view portal;     // empty: the unnamed portal
  std::string_view statement;  // empty: the unnamed statement
  // 0 entries: all text; 1 entry: applies to all; else one per parameter.
  std::vector<int16_t> param_formats;
  std::vector<std::optional<std::string_view>> params;  // nullopt = SQL NULL (length -1)
  std::vector<int16_t> result_formats;                  // same 0/1/N convention, per result column
  bool operator==(const Bind&) const = default;
};

struct Describe {
  DescribeTarget target = DescribeTarget::kStatement;
  std::string_view name;
  bool operator==(const Describe&) const = default;
};

struct Execute {
  std::string_view portal;
  int32_t max_rows = 0;  // <= 0: no limit
  bool operator==(const Execute&) const = default;
};

struct Sync {
  bool operator==(const Sync&) const = default;
};
struct Flush {
  bool operator==(const Flush&) const = default;
};

struct Close {
  DescribeTarget target = DescribeTarget::kStatement;
  std::string_view name;
  bool operator==(const Close&) const = default;
};

// CopyData and CopyDone have the same bytes in both directions.
struct CopyData {
  std::string_view data;
  bool operator==(const CopyData&) const = default;
};
struct CopyDone {
  bool operator==(const CopyDone&) const = default;
};
struct CopyFail {
  std::string_view message;
  bool operator==(const CopyFail&) const = default;
};

struct Terminate {
  bool operator==(const Terminate&) const = default;
};

// The three meanings of a 'p' message; which one depends on the authentication request
// the server sent last (see FrontendDecoder::ExpectPasswordMessage).
struct PasswordMessage {
  std::string_view password;  // cleartext, or "md5" + hex digest
  bool operator==(const PasswordMessage&) const = default;
};
struct SaslInitialResponse {
  std::string_view mechanism;            // e.g. "SCRAM-SHA-256"
  std::optional<std::string_view> data;  // nullopt: length -1 (no initial response)
  bool operator==(const SaslInitialResponse&) const = default;
};
struct SaslResponse {
  std::string_view data;
  bool operator==(const SaslResponse&) const = default;
};

using FrontendMessage =
    std::variant<StartupMessage, SslRequest, GssEncRequest, CancelRequest, Query, Parse, Bind,
                 Describe, Execute, Sync, Flush, Close, CopyData, CopyDone, CopyFail, Terminate,
                 PasswordMessage, SaslInitialResponse, SaslResponse>;

// "Query", "Bind", ...: for logs and error texts.
std::string_view MessageName(const FrontendMessage& message);

}  // namespace domicile::pgwire
