// Statement shapes: one parse serves every text that differs only in its literal values.
#pragma once

#include <memory>
#include <optional>
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

}  // namespace domicile::pgquery
