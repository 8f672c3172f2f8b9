// RAII owners of libpg_query results: the parse tree and the comment spans of a query text.
#pragma once

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <memory>
#include <string>
#include <vector>

#include "domain/status.h"

namespace domicile::pgquery {

// Why protobuf and not JSON: the typed protobuf-c tree is walked with plain field access
// (no JSON text to build and re-parse, no string keys to look up, no `\u003e` escapes), and
// unpacking it costs less than parsing libpg_query's JSON with nlohmann_json. The protobuf-c
// runtime (protobuf_c_*) and the generated pg_query__* functions and descriptors are all
// exported by libpg_query itself, so only the protobuf-c headers are needed, not a link to
// libprotobuf-c (two copies of its runtime in one process would only invite confusion).

struct ParseResultDeleter {
  void operator()(PgQuery__ParseResult* tree) const {
    pg_query__parse_result__free_unpacked(tree, nullptr);
  }
};

// One parsed query text, unpacked into protobuf-c structs. Movable, not copyable.
class ParsedTree {
 public:
  // Parses `sql` (NUL-terminated, as libpg_query requires). Syntax errors come back as
  // kInvalidArgument formatted by FormatSqlSyntaxError. Thread-safe: libpg_query keeps its
  // memory context per thread and releases it when the thread exits.
  static Result<ParsedTree> Parse(const std::string& sql);

  const PgQuery__ParseResult& tree() const { return *tree_; }

 private:
  explicit ParsedTree(PgQuery__ParseResult* tree) : tree_(tree) {}
  std::unique_ptr<PgQuery__ParseResult, ParseResultDeleter> tree_;
};

// [start, end) byte offsets of one comment in the query text.
struct CommentSpan {
  int start = 0;
  int end = 0;
};

// The comments of `sql` as libpg_query's scanner sees them, so that comment-like text
// inside string literals or quoted identifiers never counts. Empty when the scanner fails.
std::vector<CommentSpan> ScanComments(const std::string& sql);

}  // namespace domicile::pgquery
