// SQL text that PostgreSQL and SQLite read the same way: quoted identifiers and literals,
// for statements built for whichever engine a ShardStorage reaches.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace domicile {

// "x" -> "\"x\"" (a double quote inside doubled); the name is one identifier, dots included.
inline std::string QuoteSqlIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// "t" -> "\"t\""; "s.t" -> "\"s\".\"t\"" (a PostgreSQL schema; SQLite shards have none).
inline std::string QuoteSqlName(std::string_view name) {
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos) return QuoteSqlIdent(name);
  return QuoteSqlIdent(name.substr(0, dot)) + "." + QuoteSqlIdent(name.substr(dot + 1));
}

// "\"a\", \"b\"", in order.
inline std::string QuoteSqlColumns(const std::vector<std::string>& columns) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ", ";
    out += QuoteSqlIdent(columns[i]);
  }
  return out;
}

// "it's" -> "'it''s'" (standard strings: a backslash is an ordinary character).
inline std::string QuoteSqlLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace domicile
