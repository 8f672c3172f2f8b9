// Small accessors over libpg_query's protobuf-c node structs and case-insensitive text tests.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace domicile::pgquery {

// protobuf-c leaves absent strings as "" or null depending on the field: treat both as "".
inline std::string_view Text(const char* s) { return s != nullptr ? std::string_view(s) : ""; }

// The sval of a String node, or "" for any other node.
inline std::string_view StringValue(const PgQuery__Node* node) {
  if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_STRING) return "";
  return node->string != nullptr ? Text(node->string->sval) : "";
}

inline bool Is(const PgQuery__Node* node, PgQuery__Node__NodeCase node_case) {
  return node != nullptr && node->node_case == node_case;
}

inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

inline bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

// Offset of `needle` (lower case) in `text`, ignoring ASCII case; npos when absent.
inline size_t FindIgnoreCase(std::string_view text, std::string_view needle, size_t from = 0) {
  if (needle.empty() || text.size() < needle.size()) return std::string_view::npos;
  for (size_t i = from; i + needle.size() <= text.size(); ++i) {
    if (AsciiLower(text[i]) == needle[0] &&
        EqualsIgnoreCase(text.substr(i, needle.size()), needle)) {
      return i;
    }
  }
  return std::string_view::npos;
}

inline bool ContainsIgnoreCase(std::string_view text, std::string_view needle) {
  return FindIgnoreCase(text, needle) != std::string_view::npos;
}

// "schema.table" or "table", as the statement wrote it (catalog names are dropped).
inline std::string QualifiedName(const PgQuery__RangeVar& range) {
  std::string name;
  if (!Text(range.schemaname).empty()) name.append(range.schemaname).append(".");
  name.append(Text(range.relname));
  return name;
}

// CREATE TEMP ... or an object created in the session's own pg_temp schema.
inline bool IsTemp(const PgQuery__RangeVar* range) {
  if (range == nullptr) return false;
  return Text(range->relpersistence) == "t" || Text(range->schemaname) == "pg_temp";
}

}  // namespace domicile::pgquery
