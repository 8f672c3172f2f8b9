// Shared fixture for the libpg_query analyzer tests: analyze a text, expect success.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string_view>

#include "adapters/sql/pgquery/pg_query_statement_analyzer.h"

namespace domicile {

// Readable failures: Literal("acme"), Param(2), None.
inline void PrintTo(const TenantRef& ref, std::ostream* os) {
  if (ref.is_literal()) *os << "Literal(\"" << ref.literal << "\")";
  if (ref.is_param()) *os << "Param(" << ref.param << ")";
  if (ref.is_none()) *os << "None";
}

namespace testing {

class AnalyzerFixture : public ::testing::Test {
 protected:
  explicit AnalyzerFixture(RoutingRules rules = {}) : analyzer_(std::move(rules)) {}

  // The analysis of `sql`; fails the test (and returns an empty info) when it errs.
  const StatementInfo& Info(std::string_view sql) {
    auto result = analyzer_.Analyze(sql);
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status().ToString();
    last_ = result.ok() ? *result : std::make_shared<const StatementInfo>();
    return *last_;
  }

  // The only statement of `sql`.
  const StatementDetail& One(std::string_view sql) {
    const StatementInfo& info = Info(sql);
    EXPECT_EQ(info.statements.size(), 1u) << sql;
    if (info.statements.empty()) {
      static const StatementDetail kNone;
      return kNone;
    }
    return info.statements.front();
  }

  TenantRef Tenant(std::string_view sql) { return One(sql).tenant; }

  PgQueryStatementAnalyzer analyzer_;
  std::shared_ptr<const StatementInfo> last_;
};

}  // namespace testing
}  // namespace domicile
