// Tenant hints written in SQL comments: /* domicile.tenant=ID */ and -- domicile.tenant=ID.
#pragma once

#include <string>
#include <vector>

namespace domicile::pgquery {

struct CommentHint {
  int offset = 0;  // byte offset of the comment in the query text
  std::string tenant;
};

// Every hint in a real comment of `sql`, in text order. Text that only looks like a comment
// (inside a string literal, dollar quote or quoted identifier) never counts, because the
// comments come from libpg_query's scanner. The value is a bare word, or a single- or
// double-quoted string: domicile.tenant = 'acme corp'. The name is matched ignoring case.
std::vector<CommentHint> FindCommentHints(const std::string& sql);

}  // namespace domicile::pgquery
