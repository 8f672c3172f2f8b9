// Command tags for SQLite statements: a small tokenizer over the statement's top level.
#include "adapters/storage/sqlite/sqlite_command_tag.h"

#include <cctype>
#include <vector>

namespace domicile {
namespace {

// Upper-cased keywords/identifiers outside parentheses, comments and quotes, in order.
std::vector<std::string> TopLevelWords(std::string_view sql) {
  std::vector<std::string> words;
  int depth = 0;
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : c;
      size_t end = sql.find(close, i + 1);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (c == '(') {
      ++depth, ++i;
    } else if (c == ')') {
      --depth, ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = i;
      while (i < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) {
        ++i;
      }
      if (depth == 0) {
        std::string word(sql.substr(start, i - start));
        for (char& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        words.push_back(std::move(word));
      }
    } else {
      ++i;
    }
  }
  return words;
}

bool IsMainVerb(const std::string& word) {
  return word == "SELECT" || word == "INSERT" || word == "UPDATE" || word == "DELETE" ||
         word == "REPLACE" || word == "VALUES";
}

std::string Normalize(const std::string& verb) {
  if (verb == "REPLACE") return "INSERT";
  if (verb == "VALUES") return "SELECT";
  if (verb == "START") return "BEGIN";
  if (verb == "END") return "COMMIT";
  return verb;
}

}  // namespace

std::string StatementKind(std::string_view sql) {
  std::vector<std::string> words = TopLevelWords(sql);
  if (words.empty()) return "";
  const std::string& first = words[0];
  if (first == "WITH") {
    for (size_t i = 1; i < words.size(); ++i) {
      if (IsMainVerb(words[i])) return Normalize(words[i]);
    }
    return "SELECT";
  }
  if (first == "CREATE" || first == "DROP" || first == "ALTER") {
    for (size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w == "TEMP" || w == "TEMPORARY" || w == "UNIQUE" || w == "VIRTUAL") continue;
      return first + " " + w;
    }
    return first;
  }
  return Normalize(first);
}

bool IsDmlKind(std::string_view kind) {
  return kind == "INSERT" || kind == "UPDATE" || kind == "DELETE";
}

std::string CommandTag(std::string_view kind, int64_t count) {
  if (kind == "INSERT") return "INSERT 0 " + std::to_string(count);
  if (IsDmlKind(kind) || kind == "SELECT") return std::string(kind) + " " + std::to_string(count);
  return std::string(kind);
}

}  // namespace domicile
