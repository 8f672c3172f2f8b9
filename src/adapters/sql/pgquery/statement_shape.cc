#include "adapters/sql/pgquery/statement_shape.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "adapters/sql/pgquery/tenant_key_extractor.h"

namespace domicile::pgquery {
namespace {

constexpr char kMarker = '\x01';
constexpr size_t kMaxShapeBytes = 8192;

// ASCII only and inline: the scan runs on every statement of the hot path, and the <cctype>
// calls (one libc call per byte) showed up in its profile. Bytes >= 0x80 end the scan.
// One table lookup per byte classifies it.
enum CharClass : uint8_t { kDigit = 1, kIdentStart = 2, kIdentPart = 4, kSpace = 8 };
constexpr std::array<uint8_t, 256> kCharClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit | kIdentPart;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kIdentStart | kIdentPart;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kIdentStart | kIdentPart;
  t['_'] = kIdentStart | kIdentPart;
  t['$'] = kIdentPart;
  for (char c : {' ', '\t', '\n', '\r'}) t[static_cast<unsigned char>(c)] = kSpace;
  return t;
}();
bool Is(char c, uint8_t cls) { return (kCharClass[static_cast<unsigned char>(c)] & cls) != 0; }
bool IsDigit(char c) { return Is(c, kDigit); }
bool IsIdentStart(char c) { return Is(c, kIdentStart); }
bool IsIdentPart(char c) { return Is(c, kIdentPart); }
bool IsSpace(char c) { return Is(c, kSpace); }

// A template's tenant literal that stands for literal number `index` of a scan.
std::string Slot(size_t index) { return std::string(1, kMarker) + std::to_string(index); }

bool IsSlot(const TenantRef& ref) {
  return ref.is_literal() && !ref.literal.empty() && ref.literal[0] == kMarker;
}

bool IsShapeKind(StatementKind kind) {
  return kind == StatementKind::kSelect || kind == StatementKind::kInsert ||
         kind == StatementKind::kUpdate || kind == StatementKind::kDelete;
}

}  // namespace

std::string_view StatementBody(std::string_view sql) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
    return s;
  };
  std::string_view body = trim(sql);
  if (!body.empty() && body.back() == ';') body = trim(body.substr(0, body.size() - 1));
  return body;
}

std::optional<ShapeScan> ScanShape(std::string_view sql) {
  if (sql.size() > kMaxShapeBytes) return std::nullopt;
  ShapeScan scan;
  scan.body = StatementBody(sql);
  std::string_view s = scan.body;
  scan.shape.reserve(s.size());
  scan.literals.reserve(4);  // typical statements have a few: one allocation, not a growth series
  size_t i = 0;
  bool last_was_string = false;  // 'a' 'b' across a newline is one literal in PostgreSQL
  // Everything but literals goes into the shape as it stands: copied in runs, from `copied`
  // up to the next literal, not token by token (this scan runs on every keyed statement).
  size_t copied = 0;
  auto literal = [&](size_t begin, char kind) {
    scan.shape.append(s.substr(copied, begin - copied));
    scan.shape += kMarker;
    scan.shape += kind;
    copied = i;  // just past the literal
  };
  while (i < s.size()) {
    char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80 || (c < 0x20 && !IsSpace(c)) || c == 0x7f) {
      return std::nullopt;
    }
    if (IsSpace(c)) {
      while (i < s.size() && IsSpace(s[i])) ++i;
      continue;
    }
    if (c == '\'') {
      if (last_was_string) return std::nullopt;
      if (i > 0 && (IsIdentPart(s[i - 1]) || s[i - 1] == '&')) return std::nullopt;  // E'' ...
      const size_t begin = i;
      std::string value;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char d = s[i++];
        if (d == '\\') return std::nullopt;
        if (d == '\'') {
          if (i < s.size() && s[i] == '\'') {
            value += '\'';
            ++i;
            continue;
          }
          closed = true;
          break;
        }
        value += d;
      }
      if (!closed) return std::nullopt;
      literal(begin, 'S');
      scan.literals.push_back(std::move(value));
      last_was_string = true;
      continue;
    }
    last_was_string = false;
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') return std::nullopt;
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') return std::nullopt;
    if (c == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        if (s[i++] == '"') {
          if (i < s.size() && s[i] == '"') {
            ++i;
            continue;
          }
          closed = true;
          break;
        }
      }
      if (!closed) return std::nullopt;
      continue;
    }
    if (c == '$') {
      ++i;
      if (i >= s.size() || !IsDigit(s[i])) return std::nullopt;
      while (i < s.size() && IsDigit(s[i])) ++i;
      if (i < s.size() && (IsIdentPart(s[i]))) return std::nullopt;
      continue;
    }
    if (IsIdentStart(c)) {
      while (i < s.size() && IsIdentPart(s[i])) ++i;
      continue;
    }
    if (IsDigit(c)) {
      size_t start = i;
      while (i < s.size() && IsDigit(s[i])) ++i;
      bool decimal = false;
      if (i < s.size() && s[i] == '.') {
        decimal = true;
        ++i;
        while (i < s.size() && IsDigit(s[i])) ++i;
      }
      if (i < s.size() && (IsIdentPart(s[i]) || s[i] == '.')) return std::nullopt;  // 1e5, 0x1
      literal(start, decimal ? 'F' : 'I');
      scan.literals.emplace_back(s.substr(start, i - start));
      continue;
    }
    if (c == '.' && i + 1 < s.size() && IsDigit(s[i + 1])) {
      return std::nullopt;  // .5
    }
    if (c == ';') return std::nullopt;  // several statements
    ++i;  // an operator or punctuation
  }
  scan.shape.append(s.substr(copied));
  return scan;
}

std::shared_ptr<const StatementInfo> MakeShapeTemplate(const StatementInfo& info,
                                                       const ShapeScan& scan) {
  if (info.statements.size() != 1 || !info.hint.is_none() || info.hint_conflict ||
      !info.session.empty()) {
    return nullptr;
  }
  const StatementDetail& stmt = info.statements[0];
  if (!IsShapeKind(stmt.kind) || !stmt.hint.is_none() || !stmt.session.empty() ||
      stmt.text != scan.body) {
    return nullptr;
  }
  auto tmpl = std::make_shared<StatementInfo>(info);
  StatementDetail& t = tmpl->statements[0];
  t.text.clear();
  for (TenantRef& ref : t.tenant_refs) {
    if (!ref.is_literal()) continue;
    size_t found = 0;
    size_t index = 0;
    for (size_t i = 0; i < scan.literals.size(); ++i) {
      if (scan.literals[i] == ref.literal) {
        ++found;
        index = i;
      }
    }
    if (found != 1) return nullptr;  // ambiguous or not a plain literal: parse every time
    ref.literal = Slot(index);
  }
  return tmpl;
}

std::shared_ptr<const StatementInfo> InstantiateShape(const StatementInfo& tmpl,
                                                      const ShapeScan& scan) {
  auto info = std::make_shared<StatementInfo>(tmpl);
  StatementDetail& stmt = info->statements[0];
  stmt.text = std::string(scan.body);
  // This text's own literals in the template's slots, then tenant and conflict derived by
  // the same code as for a full parse.
  TenantRefs refs;
  refs.refs.reserve(tmpl.statements[0].tenant_refs.size());
  for (const TenantRef& ref : tmpl.statements[0].tenant_refs) {
    if (!IsSlot(ref)) {
      refs.Add(ref);
      continue;
    }
    size_t index = 0;  // the slot's number, written by Slot()
    for (size_t i = 1; i < ref.literal.size(); ++i) index = index * 10 + (ref.literal[i] - '0');
    if (index >= scan.literals.size()) return nullptr;
    refs.Add(TenantRef::Literal(scan.literals[index]));
  }
  stmt.tenant_conflict = false;
  stmt.tenant = TenantRef::None();
  refs.ApplyTo(stmt);
  return info;
}

}  // namespace domicile::pgquery
