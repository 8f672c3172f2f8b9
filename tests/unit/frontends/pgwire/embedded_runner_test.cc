// EmbeddedRunner against a real SQLite file: simple queries, transactions, errors, and the
// extended protocol (Bind parameters, Describe, portals), read back as message transcripts.
#include "frontends/pgwire/embedded_runner.h"

#include <gtest/gtest.h>

#include "adapters/storage/sqlite/sqlite_shard_storage.h"
#include "frontends/pgwire/backend_frame_reader.h"
#include "frontends/pgwire/backend_parsers.h"
#include "support/temp_dir.h"

namespace domicile::pgwire {
namespace {

using Kind = EmbeddedStep::Kind;

EmbeddedStep Step(Kind kind, std::string name = "",
                  std::shared_ptr<const EmbeddedStatement> statement = nullptr) {
  EmbeddedStep step;
  step.kind = kind;
  step.name = std::move(name);
  step.statement = std::move(statement);
  return step;
}

// "T(id:20,name:25) D(1,Ana) C(SELECT 1) Z(I)"; errors as E(SQLSTATE), notices as N(SQLSTATE).
std::string Transcript(const std::string& wire) {
  BackendFrameReader reader;
  reader.Append(wire);
  std::string out;
  while (true) {
    auto next = reader.Next();
    if (!next.has_value()) break;
    const BackendFrame& f = next.value();
    if (!out.empty()) out += ' ';
    switch (f.type) {
      case 'T': {
        auto d = ParseRowDescription(f);
        out += "T(";
        for (size_t i = 0; d.ok() && i < d->fields.size(); ++i) {
          if (i) out += ',';
          out += std::string(d->fields[i].name) + ":" + std::to_string(d->fields[i].type_oid);
        }
        out += ')';
        break;
      }
      case 'D': {
        auto r = ParseDataRow(f);
        out += "D(";
        for (size_t i = 0; r.ok() && i < r->values.size(); ++i) {
          if (i) out += ',';
          out += r->values[i] ? std::string(*r->values[i]) : "NULL";
        }
        out += ')';
        break;
      }
      case 'C':
        out += "C(" + std::string(ParseCommandComplete(f)->tag) + ")";
        break;
      case 'Z':
        out += "Z(" + std::string(1, static_cast<char>(ParseReadyForQuery(f)->status)) + ")";
        break;
      case 'E':
      case 'N':
        out += std::string(1, f.type) + "(" + std::string(ParseErrorFields(f)->sqlstate()) + ")";
        break;
      case 't': {
        auto p = ParseParameterDescription(f);
        out += "t(";
        for (size_t i = 0; p.ok() && i < p->type_oids.size(); ++i) {
          if (i) out += ',';
          out += std::to_string(p->type_oids[i]);
        }
        out += ')';
        break;
      }
      default:
        out += f.type;  // 1 ParseComplete, 2 BindComplete, n NoData, s PortalSuspended, 3 Close
    }
  }
  return out;
}

class EmbeddedRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = std::make_unique<SqliteShardStorage>(dir_.Sub("shard.db"));
    lease_.session = std::move(storage_->Open()).value();
    Run("CREATE TABLE members (tenant_id TEXT NOT NULL, id BIGINT NOT NULL, name TEXT, "
        "score REAL, photo BLOB, active BOOLEAN, PRIMARY KEY (tenant_id, id))");
  }
  // No analyzer in unit tests: the runner then treats the text as one statement, except for
  // the transaction-control words that tests pass with their kind.
  std::string Run(std::string_view sql, StatementKind kind = StatementKind::kOther) {
    StatementInfo info;
    StatementDetail detail;
    detail.kind = kind;
    detail.text = std::string(sql);
    info.statements.push_back(detail);
    return Transcript(RunEmbeddedQuery(lease_, sql, &info).bytes);
  }
  std::shared_ptr<const EmbeddedStatement> Statement(std::string query, StatementKind kind,
                                                     std::vector<uint32_t> types = {}) {
    auto info = std::make_shared<StatementInfo>();
    StatementDetail detail;
    detail.kind = kind;
    detail.text = query;
    info->statements.push_back(detail);
    return std::make_shared<const EmbeddedStatement>(
        EmbeddedStatement{std::move(query), std::move(types), std::move(info)});
  }
  std::string Batch(const std::vector<EmbeddedStep>& steps) {
    return Transcript(RunEmbeddedBatch(lease_, extended_, steps).bytes);
  }

  testing::TempDir dir_{"domicile-embedded"};
  std::unique_ptr<SqliteShardStorage> storage_;
  EmbeddedLease lease_;
  EmbeddedExtendedState extended_;
};

TEST_F(EmbeddedRunnerTest, SimpleQueryRowsTypesAndTags) {
  EXPECT_EQ(Run("INSERT INTO members VALUES ('a', 1, 'Ana', 1.5, x'00ff', 1), "
                "('a', 2, NULL, NULL, NULL, 0)"),
            "C(INSERT 0 2) Z(I)");
  EXPECT_EQ(
      Run("SELECT id, name, score, photo, active FROM members ORDER BY id", StatementKind::kSelect),
      "T(id:20,name:25,score:701,photo:17,active:16) D(1,Ana,1.5,\\x00ff,t) "
      "D(2,NULL,NULL,NULL,f) C(SELECT 2) Z(I)");
  EXPECT_EQ(Run("UPDATE members SET name = 'Bea' WHERE id = 2"), "C(UPDATE 1) Z(I)");
  EXPECT_EQ(Run("DELETE FROM members WHERE id = 2"), "C(DELETE 1) Z(I)");
  EXPECT_EQ(Run("SELECT count(*) AS n FROM members WHERE id > 5", StatementKind::kSelect),
            "T(n:20) D(0) C(SELECT 1) Z(I)");
}

TEST_F(EmbeddedRunnerTest, ErrorsCarrySqlStatesAndTheSessionGoesOn) {
  Run("INSERT INTO members (tenant_id, id) VALUES ('a', 1)");
  EXPECT_EQ(Run("INSERT INTO members (tenant_id, id) VALUES ('a', 1)"), "E(23505) Z(I)");
  EXPECT_EQ(Run("SELEC 1"), "E(42601) Z(I)");
  EXPECT_EQ(Run("SELECT * FROM nope"), "E(42P01) Z(I)");
  EXPECT_EQ(Run("SELECT 1 AS one", StatementKind::kSelect), "T(one:20) D(1) C(SELECT 1) Z(I)");
}

TEST_F(EmbeddedRunnerTest, TransactionsReportTheirStatusAndRollBack) {
  EXPECT_EQ(Run("BEGIN", StatementKind::kBegin), "C(BEGIN) Z(T)");
  EXPECT_EQ(Run("INSERT INTO members (tenant_id, id) VALUES ('a', 7)"), "C(INSERT 0 1) Z(T)");
  EXPECT_EQ(Run("SELECT nope FROM members"), "E(42703) Z(E)");
  EXPECT_EQ(Run("SELECT 1", StatementKind::kSelect), "E(25P02) Z(E)");
  EXPECT_EQ(Run("COMMIT", StatementKind::kCommit), "C(ROLLBACK) Z(I)");  // as PostgreSQL
  EXPECT_EQ(Run("SELECT count(*) FROM members", StatementKind::kSelect),
            "T(count(*):20) D(0) C(SELECT 1) Z(I)");
  EXPECT_EQ(Run("ROLLBACK", StatementKind::kRollback), "N(25P01) C(ROLLBACK) Z(I)");
}

TEST_F(EmbeddedRunnerTest, SeveralStatementsAreOneImplicitTransaction) {
  StatementInfo info;
  for (const char* text : {"INSERT INTO members (tenant_id, id) VALUES ('a', 1)",
                           "INSERT INTO members (tenant_id, id) VALUES ('a', 1)"}) {
    StatementDetail detail;
    detail.kind = StatementKind::kInsert;
    detail.text = text;
    info.statements.push_back(detail);
  }
  EXPECT_EQ(Transcript(RunEmbeddedQuery(lease_, "two inserts", &info).bytes),
            "C(INSERT 0 1) E(23505) Z(I)");
  EXPECT_EQ(Run("SELECT count(*) FROM members", StatementKind::kSelect),
            "T(count(*):20) D(0) C(SELECT 1) Z(I)");
}

// The analyzer's fast path answers plain statements with one shared analysis that carries
// no text: the runner then runs the query string it was given.
TEST_F(EmbeddedRunnerTest, ASharedAnswerRunsTheWholeQueryString) {
  StatementInfo shared;
  shared.statements.emplace_back().kind = StatementKind::kInsert;
  shared.whole_text_is_statement = true;
  EXPECT_EQ(Transcript(RunEmbeddedQuery(
                           lease_, " INSERT INTO members (tenant_id, id) VALUES ('a', 9) ; ",
                           &shared).bytes),
            "C(INSERT 0 1) Z(I)");
  shared.statements.front().kind = StatementKind::kSelect;
  EXPECT_EQ(Transcript(RunEmbeddedQuery(lease_, "SELECT id FROM members", &shared).bytes),
            "T(id:20) D(9) C(SELECT 1) Z(I)");
}

TEST_F(EmbeddedRunnerTest, ExtendedProtocolBindsDescribesAndExecutes) {
  auto insert = Statement("INSERT INTO members (tenant_id, id, name) VALUES ($1, $2, $3)",
                          StatementKind::kInsert);
  EmbeddedStep bind = Step(Kind::kBind, "", insert);
  bind.params = {std::string("a"), std::string("\0\0\0\x05", 4), std::string("Eva")};
  bind.param_formats = {0, 1, 0};  // a binary int4 in the middle, as drivers send it
  EXPECT_EQ(Batch({Step(Kind::kParse), bind, Step(Kind::kDescribePortal), Step(Kind::kExecute),
                   Step(Kind::kSync)}),
            "1 2 n C(INSERT 0 1) Z(I)");

  auto select = Statement("SELECT id, name FROM members WHERE tenant_id = $1 ORDER BY id",
                          StatementKind::kSelect);
  EmbeddedStep describe = Step(Kind::kDescribeStatement, "", select);
  EXPECT_EQ(Batch({Step(Kind::kParse), describe, Step(Kind::kSync)}),
            "1 t(25) T(id:20,name:25) Z(I)");
  EmbeddedStep bind_select = Step(Kind::kBind, "", select);
  bind_select.params = {std::string("a")};
  EXPECT_EQ(
      Batch({bind_select, Step(Kind::kDescribePortal), Step(Kind::kExecute), Step(Kind::kSync)}),
      "2 T(id:20,name:25) D(5,Eva) C(SELECT 1) Z(I)");
}

TEST_F(EmbeddedRunnerTest, PortalsSuspendAndErrorsSkipToSync) {
  Run("INSERT INTO members (tenant_id, id) VALUES ('a', 1), ('a', 2), ('a', 3)");
  auto select = Statement("SELECT id FROM members ORDER BY id", StatementKind::kSelect);
  EmbeddedStep bind = Step(Kind::kBind, "", select);
  EmbeddedStep execute_two = Step(Kind::kExecute);
  execute_two.max_rows = 2;
  EXPECT_EQ(Batch({bind, execute_two, execute_two, Step(Kind::kSync)}),
            "2 D(1) D(2) s D(3) C(SELECT 3) Z(I)");

  auto bad = Statement("SELECT nope FROM members", StatementKind::kSelect);
  EXPECT_EQ(Batch({Step(Kind::kBind, "", bad), Step(Kind::kExecute), Step(Kind::kBind, "", select),
                   Step(Kind::kExecute), Step(Kind::kSync), Step(Kind::kBind, "", select),
                   Step(Kind::kExecute), Step(Kind::kSync)}),
            "2 E(42703) Z(I) 2 D(1) D(2) D(3) C(SELECT 3) Z(I)");
  EXPECT_EQ(Batch({Step(Kind::kBind, "missing", nullptr), Step(Kind::kSync)}), "E(26000) Z(I)");
}

TEST(EmbeddedRunnerCountTest, CountsParametersOutsideQuotesAndComments) {
  EXPECT_EQ(CountParameters("SELECT $1, $12 FROM t"), 12);
  EXPECT_EQ(CountParameters("SELECT '$3', \"$4\" -- $5\n /* $6 */ FROM t WHERE a = $2"), 2);
  EXPECT_EQ(CountParameters("SELECT 1"), 0);
}

}  // namespace
}  // namespace domicile::pgwire
