// Backend (server -> client) messages as typed structs, for the encoder and the frame reader.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "frontends/pgwire/protocol.h"

namespace domicile::pgwire {

// Lifetime: string_views borrow, as in messages.h. Parsed from a BackendFrame they point
// into the reader's buffer; built for encoding they point at the caller's storage.

struct AuthenticationOk {
  bool operator==(const AuthenticationOk&) const = default;
};
struct AuthenticationCleartextPassword {
  bool operator==(const AuthenticationCleartextPassword&) const = default;
};
struct AuthenticationMd5Password {
  std::array<char, 4> salt{};
  bool operator==(const AuthenticationMd5Password&) const = default;
};
struct AuthenticationSasl {
  std::vector<std::string_view> mechanisms;  // in the server's order of preference
  bool operator==(const AuthenticationSasl&) const = default;
};
struct AuthenticationSaslContinue {
  std::string_view data;  // SCRAM server-first-message
  bool operator==(const AuthenticationSaslContinue&) const = default;
};
struct AuthenticationSaslFinal {
  std::string_view data;  // SCRAM server-final-message
  bool operator==(const AuthenticationSaslFinal&) const = default;
};
using AuthenticationRequest =
    std::variant<AuthenticationOk, AuthenticationCleartextPassword, AuthenticationMd5Password,
                 AuthenticationSasl, AuthenticationSaslContinue, AuthenticationSaslFinal>;

struct ParameterStatus {
  std::string_view name;
  std::string_view value;
  bool operator==(const ParameterStatus&) const = default;
};

struct BackendKeyData {
  int32_t pid = 0;
  int32_t secret = 0;
  bool operator==(const BackendKeyData&) const = default;
};

struct ReadyForQuery {
  TransactionStatus status = TransactionStatus::kIdle;
  bool operator==(const ReadyForQuery&) const = default;
};

struct FieldDescription {
  std::string_view name;
  uint32_t table_oid = 0;  // 0 when not a table column
  int16_t column_attnum = 0;
  uint32_t type_oid = 0;
  int16_t type_len = 0;  // negative: variable width
  int32_t type_modifier = -1;
  int16_t format = 0;  // 0 text, 1 binary
  bool operator==(const FieldDescription&) const = default;
};
struct RowDescription {
  std::vector<FieldDescription> fields;
  bool operator==(const RowDescription&) const = default;
};

struct DataRow {
  std::vector<std::optional<std::string_view>> values;  // nullopt = SQL NULL
  bool operator==(const DataRow&) const = default;
};

struct CommandComplete {
  std::string_view tag;  // "SELECT 3", "INSERT 0 1", "BEGIN", ...
  bool operator==(const CommandComplete&) const = default;
};

// The fields of an ErrorResponse or NoticeResponse, in wire order. Owned: errors are rare
// and often outlive the buffer (logged, relayed, wrapped in a Status).
class ErrorFields {
 public:
  // Field codes of the protocol ("Error and Notice Message Fields").
  static constexpr char kSeverity = 'S';     // localized
  static constexpr char kSeverityRaw = 'V';  // never localized: ERROR, FATAL, NOTICE, ...
  static constexpr char kSqlState = 'C';
  static constexpr char kMessage = 'M';
  static constexpr char kDetail = 'D';
  static constexpr char kHint = 'H';
  static constexpr char kPosition = 'P';

  // Replaces the value of `code` if present, else appends it. A code of 0 is ignored (it
  // would end the list on the wire).
  void Set(char code, std::string_view value);
  // The value of `code`, or empty when absent.
  std::string_view Get(char code) const;
  bool Has(char code) const;
  const std::vector<std::pair<char, std::string>>& fields() const { return fields_; }

  std::string_view severity() const {
    return Get(kSeverityRaw).empty() ? Get(kSeverity) : Get(kSeverityRaw);
  }
  std::string_view sqlstate() const { return Get(kSqlState); }
  std::string_view message() const { return Get(kMessage); }

  bool operator==(const ErrorFields&) const = default;

 private:
  std::vector<std::pair<char, std::string>> fields_;
};

struct ErrorResponse {
  ErrorFields fields;
  bool operator==(const ErrorResponse&) const = default;
};
struct NoticeResponse {
  ErrorFields fields;
  bool operator==(const NoticeResponse&) const = default;
};

// S and V = severity, C = sqlstate, M = message; D and H only when non-empty.
ErrorFields MakeErrorFields(std::string_view severity, std::string_view sqlstate,
                            std::string_view message, std::string_view detail = {},
                            std::string_view hint = {});

struct EmptyQueryResponse {
  bool operator==(const EmptyQueryResponse&) const = default;
};
struct ParseComplete {
  bool operator==(const ParseComplete&) const = default;
};
struct BindComplete {
  bool operator==(const BindComplete&) const = default;
};
struct CloseComplete {
  bool operator==(const CloseComplete&) const = default;
};
struct NoData {
  bool operator==(const NoData&) const = default;
};
struct PortalSuspended {
  bool operator==(const PortalSuspended&) const = default;
};

struct ParameterDescription {
  std::vector<uint32_t> type_oids;
  bool operator==(const ParameterDescription&) const = default;
};

// CopyInResponse and CopyOutResponse share this body.
struct CopyResponse {
  int8_t overall_format = 0;  // 0 text, 1 binary
  std::vector<int16_t> column_formats;
  bool operator==(const CopyResponse&) const = default;
};
struct CopyInResponse {
  CopyResponse copy;
  bool operator==(const CopyInResponse&) const = default;
};
struct CopyOutResponse {
  CopyResponse copy;
  bool operator==(const CopyOutResponse&) const = default;
};

}  // namespace domicile::pgwire
