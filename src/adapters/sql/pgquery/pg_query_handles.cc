// Calls into libpg_query and frees every result it hands back, on success and on error.
#include "adapters/sql/pgquery/pg_query_handles.h"

#include "ports/statement_analyzer.h"

namespace domicile::pgquery {
namespace {

struct ProtobufParseResultGuard {
  PgQueryProtobufParseResult result;
  ~ProtobufParseResultGuard() { pg_query_free_protobuf_parse_result(result); }
};

struct ScanResultGuard {
  PgQueryScanResult result;
  ~ScanResultGuard() { pg_query_free_scan_result(result); }
};

struct ScanTreeDeleter {
  void operator()(PgQuery__ScanResult* scan) const {
    pg_query__scan_result__free_unpacked(scan, nullptr);
  }
};

}  // namespace

Result<ParsedTree> ParsedTree::Parse(const std::string& sql) {
  ProtobufParseResultGuard parsed{pg_query_parse_protobuf(sql.c_str())};
  if (parsed.result.error != nullptr) {
    const PgQueryError& error = *parsed.result.error;
    return InvalidArgument(FormatSqlSyntaxError(
        error.message != nullptr ? error.message : "syntax error", error.cursorpos));
  }
  PgQuery__ParseResult* tree = pg_query__parse_result__unpack(
      nullptr, parsed.result.parse_tree.len,
      reinterpret_cast<const uint8_t*>(parsed.result.parse_tree.data));
  if (tree == nullptr) return Internal("libpg_query returned a parse tree that does not unpack");
  return ParsedTree(tree);
}

std::vector<CommentSpan> ScanComments(const std::string& sql) {
  std::vector<CommentSpan> comments;
  ScanResultGuard scanned{pg_query_scan(sql.c_str())};
  if (scanned.result.error != nullptr) return comments;
  std::unique_ptr<PgQuery__ScanResult, ScanTreeDeleter> scan(
      pg_query__scan_result__unpack(nullptr, scanned.result.pbuf.len,
                                    reinterpret_cast<const uint8_t*>(scanned.result.pbuf.data)));
  if (scan == nullptr) return comments;
  for (size_t i = 0; i < scan->n_tokens; ++i) {
    const PgQuery__ScanToken* token = scan->tokens[i];
    if (token->token == PG_QUERY__TOKEN__SQL_COMMENT ||
        token->token == PG_QUERY__TOKEN__C_COMMENT) {
      comments.push_back({token->start, token->end});
    }
  }
  return comments;
}

}  // namespace domicile::pgquery
