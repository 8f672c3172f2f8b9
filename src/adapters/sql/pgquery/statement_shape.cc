#include "adapters/sql/pgquery/statement_shape.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "adapters/sql/pgquery/tenant_key_extractor.h"

namespace domicile::pgquery {
namespace {

constexpr char kMarker = '\x01';

// ASCII only and inline: the scan runs on every statement of the hot path, and the <cctype>
// calls (one libc call per byte) showed up in its profile. Bytes >= 0x80 end the scan.
// One table lookup per byte classifies it.
// kPlain: what ScanShape passes over without a look (letters, '_', white space, operators and
// punctuation other than the few that can start a literal, a comment or another statement).
enum CharClass : uint8_t { kDigit = 1, kIdentStart = 2, kIdentPart = 4, kSpace = 8, kPlain = 16 };
constexpr std::array<uint8_t, 256> kCharClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0x20; c < 0x7f; ++c) t[c] = kPlain;
  for (char c : std::string_view("0123456789$'\"-/.;")) t[static_cast<unsigned char>(c)] = 0;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit | kIdentPart;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kIdentStart | kIdentPart | kPlain;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kIdentStart | kIdentPart | kPlain;
  t['_'] = kIdentStart | kIdentPart | kPlain;
  t['$'] = kIdentPart;
  for (char c : {' ', '\t', '\n', '\r'}) t[static_cast<unsigned char>(c)] = kSpace | kPlain;
  return t;
}();
bool Is(char c, uint8_t cls) { return (kCharClass[static_cast<unsigned char>(c)] & cls) != 0; }
bool IsDigit(char c) { return Is(c, kDigit); }
bool IsIdentPart(char c) { return Is(c, kIdentPart); }
bool IsSpace(char c) { return Is(c, kSpace); }

// The end of the unsigned number starting at s[i] (a digit): digits, then maybe a '.' and
// more digits (`decimal`). npos for what the scan does not model there: 1e5, 0x1, 1.2.3.
size_t NumberEnd(std::string_view s, size_t i, bool& decimal) {
  const size_t n = s.size();
  while (i < n && IsDigit(s[i])) ++i;
  decimal = i < n && s[i] == '.';
  if (decimal) {
    ++i;
    while (i < n && IsDigit(s[i])) ++i;
  }
  if (i < n && (IsIdentPart(s[i]) || s[i] == '.')) return std::string_view::npos;
  return i;
}

// Whether another string literal follows the one that ends before s[i], past white space:
// 'a' 'b' across a newline is one literal in PostgreSQL, which the scan does not model.
bool StringContinues(std::string_view s, size_t i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
  return i < s.size() && s[i] == '\'';
}

// A template's tenant literal that stands for literal number `index` of a scan.
std::string Slot(size_t index) {
  std::string slot(1, kMarker);
  slot += std::to_string(index);  // appended, not operator+: GCC 12 warns (-Wrestrict) on that
  return slot;
}

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
  ShapeScan scan;
  if (!ScanShapeInto(sql, scan)) return std::nullopt;
  return scan;
}

bool ScanShapeInto(std::string_view sql, ShapeScan& scan) {
  if (sql.size() > kMaxShapeBytes) return false;
  scan.body = StatementBody(sql);
  std::string_view s = scan.body;
  scan.shape.clear();
  scan.shape.reserve(s.size());
  scan.literals.clear();
  scan.literals.reserve(4);  // typical statements have a few: one allocation, not a growth series
  const size_t n = s.size();
  size_t i = 0;
  // Everything but literals goes into the shape as it stands: copied in runs, from `copied`
  // up to the next literal, not token by token (this scan runs on every keyed statement).
  size_t copied = 0;
  auto literal = [&](size_t begin, char kind) {
    scan.shape.append(s.substr(copied, begin - copied));
    scan.shape += kMarker;
    scan.shape += kind;
    copied = i;  // just past the literal
  };
  while (i < n) {
    // Keywords, names, white space and most operators need no care: skipped in a tight loop.
    while (i < n && Is(s[i], kPlain)) ++i;
    if (i == n) break;
    const char c = s[i];
    if (IsDigit(c) || c == '$') {
      if (i > 0 && IsIdentPart(s[i - 1])) {
        // Inside a name (t1, a$b): a number or $n right after a literal or a parameter has
        // already been refused below, so an identifier character before means a name.
        while (i < n && IsIdentPart(s[i])) ++i;
        continue;
      }
      if (c == '$') {
        ++i;
        if (i >= n || !IsDigit(s[i])) return false;
        while (i < n && IsDigit(s[i])) ++i;
        if (i < n && IsIdentPart(s[i])) return false;
        continue;
      }
      const size_t start = i;
      bool decimal = false;
      i = NumberEnd(s, i, decimal);
      if (i == std::string_view::npos) return false;
      literal(start, decimal ? 'F' : 'I');
      scan.literals.emplace_back(s.substr(start, i - start));
      continue;
    }
    if (c == '\'') {
      if (i > 0 && (IsIdentPart(s[i - 1]) || s[i - 1] == '&')) return false;  // E'' ...
      const size_t begin = i;
      std::string& value = scan.literals.emplace_back();
      ++i;
      size_t run = i;  // the value is copied in runs between '' escapes
      bool closed = false;
      while (i < n) {
        char d = s[i++];
        if (d == '\\') return false;
        if (d == '\'') {
          value.append(s.substr(run, i - 1 - run));
          if (i < n && s[i] == '\'') {
            value += '\'';
            run = ++i;
            continue;
          }
          closed = true;
          break;
        }
      }
      if (!closed) return false;
      literal(begin, 'S');
      if (StringContinues(s, i)) return false;
      continue;
    }
    if (c == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (s[i++] == '"') {
          if (i < n && s[i] == '"') {
            ++i;
            continue;
          }
          closed = true;
          break;
        }
      }
      if (!closed) return false;
      continue;
    }
    const char next = i + 1 < n ? s[i + 1] : '\0';
    if ((c == '-' && next == '-') || (c == '/' && next == '*')) return false;  // comments
    if (c == '.' && IsDigit(next)) return false;                               // .5
    if (c == '-' || c == '/' || c == '.') {
      ++i;
      continue;
    }
    return false;  // ';' (several statements), control bytes, non-ASCII outside strings
  }
  scan.shape.append(s.substr(copied));
  return true;
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
  // The scanned text is one statement (ScanShape refuses ';' between statements and
  // comments), so the statement's text is the query string itself: no copy of it.
  info->whole_text_is_statement = true;
  std::vector<std::string_view> literals(scan.literals.begin(), scan.literals.end());
  if (!FillInstanceTenants(tmpl.statements[0], literals, info->statements[0])) return nullptr;
  return info;
}

bool FillInstanceTenants(const StatementDetail& tmpl, std::span<const std::string_view> literals,
                         StatementDetail& stmt) {
  // This text's own literals in the template's slots, kept distinct as a full parse keeps
  // them, then tenant and conflict derived by the same code. Written over what an earlier
  // text of the shape left (refs beyond `count` are its), reusing the strings' storage.
  std::vector<TenantRef>& refs = stmt.tenant_refs;
  size_t count = 0;
  for (const TenantRef& ref : tmpl.tenant_refs) {
    const bool slot = IsSlot(ref);
    std::string_view value;
    if (slot) {
      size_t index = 0;  // the slot's number, written by Slot()
      for (size_t i = 1; i < ref.literal.size(); ++i) index = index * 10 + (ref.literal[i] - '0');
      if (index >= literals.size()) return false;
      value = literals[index];
    }
    auto same = [&](const TenantRef& have) {
      return slot ? have.is_literal() && have.literal == value : have == ref;
    };
    if (std::any_of(refs.begin(), refs.begin() + static_cast<ptrdiff_t>(count), same)) continue;
    if (count == refs.size()) refs.emplace_back();
    TenantRef& out = refs[count++];
    if (slot) {
      out.kind = TenantRef::Kind::kLiteral;
      out.literal.assign(value);
      out.param = 0;
    } else {
      out = ref;
    }
  }
  refs.resize(count);
  stmt.tenant_conflict = false;
  stmt.tenant.kind = TenantRef::Kind::kNone;
  stmt.tenant.literal.clear();
  stmt.tenant.param = 0;
  DeriveTenant(stmt);
  return true;
}

ShapePattern::ShapePattern(std::string_view shape) : shape_(shape) {
  size_t from = 0;
  for (size_t at = shape.find(kMarker); at != std::string_view::npos && at + 1 < shape.size();
       at = shape.find(kMarker, from)) {
    segments_.push_back({std::string(shape.substr(from, at - from)), shape[at + 1]});
    from = at + 2;
  }
  segments_.push_back({std::string(shape.substr(from)), 0});
}

bool ShapePattern::Match(std::string_view body, std::vector<std::string_view>& literals) const {
  literals.clear();
  const size_t n = body.size();
  size_t i = 0;
  for (const Segment& segment : segments_) {
    const std::string& fixed = segment.fixed;
    if (n - i < fixed.size() || std::memcmp(body.data() + i, fixed.data(), fixed.size()) != 0) {
      return false;
    }
    i += fixed.size();
    if (segment.kind == 0) return i == n;
    // The literal starts here: ScanShape's checks of the byte before and after it (the fixed
    // text around it is the shape's own, which ScanShape accepted).
    const size_t start = i;
    const char before = start > 0 ? body[start - 1] : ' ';
    if (segment.kind == 'S') {
      if (i == n || body[i] != '\'' || IsIdentPart(before) || before == '&') return false;
      ++i;
      while (i < n && body[i] != '\'' && body[i] != '\\') ++i;
      if (i == n || body[i] != '\'') return false;  // unclosed, or a backslash
      ++i;
      if (i < n && body[i] == '\'') return false;  // '' inside: ScanShape's path unescapes it
      if (StringContinues(body, i)) return false;
      literals.push_back(body.substr(start + 1, i - start - 2));
      continue;
    }
    if (i == n || !IsDigit(body[i]) || IsIdentPart(before)) return false;
    bool decimal = false;
    i = NumberEnd(body, i, decimal);
    if (i == std::string_view::npos || (decimal ? 'F' : 'I') != segment.kind) return false;
    literals.push_back(body.substr(start, i - start));
  }
  return false;  // not reached: the last segment has kind 0
}

}  // namespace domicile::pgquery
