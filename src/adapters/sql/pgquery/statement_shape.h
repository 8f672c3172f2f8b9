// Statement shapes: one parse serves every text that differs only in its literal values.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/statement_info.h"

namespace domicile::pgquery {

// Simple-protocol clients (psycopg2, pgbench -M simple) inline their values, so the text
// cache misses on every statement and each would be parsed (~30 us). A shape is the text with
// each literal replaced by a marker of its kind; texts of one shape have the same parse tree
// up to literal values, so the tenant key sits at the same literal position in all of them.
struct ShapeScan {
  std::string shape;                  // the text with literals replaced by \x01S / \x01I / \x01F
  std::vector<std::string> literals;  // their values, unquoted, in order
  std::string_view body;              // the text without surrounding space and final ';'
};

// Longer texts are not scanned: ScanShape declines them.
inline constexpr size_t kMaxShapeBytes = 8192;

// `sql` without surrounding white space and one final ';': the text the analyzer reports for a
// single statement.
std::string_view StatementBody(std::string_view sql);

// Scans `sql` with a deliberately small lexer: plain '...' strings ('' escapes), unsigned
// integers and decimals, identifiers, "quoted identifiers", $n parameters, operators. Anything
// it does not model (comments, dollar quoting, E''/B''/X''/U&'' strings, backslashes, exponents,
// adjacent string literals, control or non-ASCII bytes outside strings) returns nullopt, and
// the caller parses the text instead.
std::optional<ShapeScan> ScanShape(std::string_view sql);
// ScanShape into `scan`, whose storage is reused (a scratch scan kept per thread saves the
// shape's and the literals' allocations on every keyed statement). False as ScanShape's
// nullopt; `scan` then holds nothing useful.
bool ScanShapeInto(std::string_view sql, ShapeScan& scan);

// The template to cache under scan.shape for `info` (the full analysis of the scanned text),
// or null when this shape cannot stand for other texts: not exactly one SELECT/INSERT/
// UPDATE/DELETE, any hint or session effect, or a tenant literal whose value does not occur
// exactly once among the literals (its position would be ambiguous).
std::shared_ptr<const StatementInfo> MakeShapeTemplate(const StatementInfo& info,
                                                       const ShapeScan& scan);

// The analysis of a text of the template's shape: its own text and its own tenant literals,
// with tenant / tenant_conflict derived from them exactly as the full analysis does.
std::shared_ptr<const StatementInfo> InstantiateShape(const StatementInfo& tmpl,
                                                      const ShapeScan& scan);

// Writes into `stmt`, a copy of the template's statement `tmpl`, the tenant references of one
// text of its shape: the template's, each slot holding that text's literal (`literals`: the
// values, in order), then tenant and tenant_conflict derived as a full analysis does. Only
// those three fields change, so an instance made for an earlier text of the shape can be
// written over. False when a slot names a literal the text does not have.
bool FillInstanceTenants(const StatementDetail& tmpl, std::span<const std::string_view> literals,
                         StatementDetail& stmt);

// One known shape, recognised in a text without scanning it: the shape's fixed text is
// compared as it stands (memcmp) and only the literals are lexed, by ScanShape's rules. Match
// is true only when ScanShape would give this shape; it also declines texts whose string
// literals hold '' (their values would need a copy), which then take the scan.
class ShapePattern {
 public:
  explicit ShapePattern(std::string_view shape);

  const std::string& shape() const { return shape_; }
  // The fixed text every matching body starts with (up to the first literal).
  std::string_view head() const { return segments_.front().fixed; }

  // Whether `body` (StatementBody of the text) has this shape. Then `literals` holds each
  // literal's value as ScanShape reports it (strings without their quotes), viewing `body`.
  bool Match(std::string_view body, std::vector<std::string_view>& literals) const;

 private:
  struct Segment {
    std::string fixed;  // text up to the next literal, compared byte for byte
    char kind = 0;      // that literal's marker kind: 'S', 'I', 'F'; 0 after the last one
  };
  std::string shape_;
  std::vector<Segment> segments_;
};

}  // namespace domicile::pgquery
