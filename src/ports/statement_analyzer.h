// StatementAnalyzer: the port that tells the router each statement's kind and tenant.
#pragma once

#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "domain/statement_info.h"
#include "domain/status.h"

namespace domicile {

// Which column names the tenant in each table. Names are compared as PostgreSQL folds them:
// lower case unless the SQL quotes them, so configure "orders", not "Orders".
struct RoutingRules {
  std::string default_key_column = "tenant_id";
  // "table" or "schema.table" -> key column. A schema-qualified entry wins over a bare one
  // for tables written with that schema; a bare entry matches the table in any schema.
  std::map<std::string, std::string, std::less<>> table_key_columns;

  // The key column of `table` (written with `schema`, which may be empty).
  const std::string& KeyColumnFor(std::string_view schema, std::string_view table) const {
    if (!schema.empty()) {
      std::string qualified;
      qualified.reserve(schema.size() + 1 + table.size());
      qualified.append(schema).append(".").append(table);
      if (auto it = table_key_columns.find(qualified); it != table_key_columns.end()) {
        return it->second;
      }
    }
    if (auto it = table_key_columns.find(table); it != table_key_columns.end()) return it->second;
    return default_key_column;
  }
};

// A syntax error the parser reported, decoded from Analyze's Status (see FormatSyntaxError).
struct SqlSyntaxError {
  std::string message;  // the parser's text: syntax error at or near "SELEC"
  int position = 0;     // 1-based character position in the query; 0 when unknown
};

// Analyze's failure message for a syntax error: "<message> (position <n>)". Adapters build
// it with this function so that ParseSqlSyntaxError can take it apart again.
inline std::string FormatSqlSyntaxError(std::string_view message, int position) {
  std::string out(message);
  out.append(" (position ").append(std::to_string(position)).append(")");
  return out;
}

// The syntax error carried by `status`, or nullopt when `status` is not one (ok, too long,
// NUL byte...). The router turns a syntax error into SQLSTATE 42601 with its position, or
// forwards the text untouched when it already knows the tenant from elsewhere.
inline std::optional<SqlSyntaxError> ParseSqlSyntaxError(const Status& status) {
  constexpr std::string_view kMarker = " (position ";
  if (status.code() != StatusCode::kInvalidArgument) return std::nullopt;
  std::string_view m = status.message();
  size_t at = m.rfind(kMarker);
  if (at == std::string_view::npos || m.empty() || m.back() != ')') return std::nullopt;
  std::string_view digits = m.substr(at + kMarker.size());
  digits.remove_suffix(1);
  int position = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), position);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return SqlSyntaxError{std::string(m.substr(0, at)), position};
}

// Parses and classifies simple-Query strings. Implementations are thread-safe: Analyze may
// be called from any number of threads at once, and may return the same shared object for
// the same text (results are immutable).
class StatementAnalyzer {
 public:
  virtual ~StatementAnalyzer() = default;

  // Analyzes every statement of `sql`. Fails with kInvalidArgument for a syntax error
  // (decode it with ParseSqlSyntaxError), for text longer than the configured limit, and
  // for text containing a NUL byte. Never throws.
  virtual Result<std::shared_ptr<const StatementInfo>> Analyze(std::string_view sql) = 0;
};

}  // namespace domicile
