// StatementInfo: what the router needs to know about one simple-Query string, as plain data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace domicile {

// Where a statement names its tenant: nowhere, a literal in the text, or a bind parameter
// whose value arrives later (Bind message, or EXECUTE arguments).
struct TenantRef {
  enum class Kind { kNone, kLiteral, kParam };

  Kind kind = Kind::kNone;
  std::string literal;  // kLiteral: the value as written ('acme' -> acme, 42 -> 42)
  int param = 0;        // kParam: 1-based parameter number ($2 -> 2)

  static TenantRef None() { return {}; }
  static TenantRef Literal(std::string value) { return {Kind::kLiteral, std::move(value), 0}; }
  static TenantRef Param(int number) { return {Kind::kParam, {}, number}; }

  bool is_none() const { return kind == Kind::kNone; }
  bool is_literal() const { return kind == Kind::kLiteral; }
  bool is_param() const { return kind == Kind::kParam; }
  bool operator==(const TenantRef&) const = default;
};

enum class StatementKind {
  kEmpty,  // no statement at all (empty text, only comments or semicolons)
  kSelect,
  kInsert,
  kUpdate,
  kDelete,
  kCopy,
  kBegin,     // BEGIN, START TRANSACTION
  kCommit,    // COMMIT, END
  kRollback,  // ROLLBACK, ABORT
  kSavepoint,
  kRelease,     // RELEASE [SAVEPOINT]
  kRollbackTo,  // ROLLBACK TO [SAVEPOINT]
  kPrepare,     // SQL-level PREPARE name AS ... (not PREPARE TRANSACTION)
  kExecute,
  kDeallocate,
  kSet,    // SET of an ordinary session variable (see SessionVariable)
  kReset,  // RESET x, RESET ALL, SET x TO DEFAULT
  kShow,
  kSetRouterVar,    // SET domicile.* : answered by the router, never forwarded
  kResetRouterVar,  // RESET domicile.* or SET domicile.* TO DEFAULT
  kShowRouterVar,   // SHOW domicile.*
  kDiscard,
  kListen,
  kUnlisten,
  kNotify,
  kDeclareCursor,
  kFetch,  // FETCH, MOVE
  kClose,  // CLOSE cursor, CLOSE ALL
  kDdl,    // CREATE / ALTER / DROP / GRANT / TRUNCATE / COMMENT ...
  kOther,  // everything else: EXPLAIN, CALL, DO, VACUUM, 2PC, LOCK ...
};

std::string_view StatementKindName(StatementKind kind);

// Session state kinds that live on one backend connection and that the router cannot
// rebuild on another one by replaying text. Used as bit masks in SessionStateEffects.
enum SessionState : uint32_t {
  kSessionTempTable = 1u << 0,     // CREATE TEMP TABLE/VIEW/SEQUENCE, SELECT INTO TEMP
  kSessionHoldCursor = 1u << 1,    // DECLARE ... WITH HOLD
  kSessionListen = 1u << 2,        // LISTEN
  kSessionAdvisoryLock = 1u << 3,  // pg_advisory_lock & co (session-level, not xact)
  kSessionPrepared = 1u << 4,      // SQL-level PREPARE
  kSessionAll = (1u << 5) - 1,
};

// What a statement does to unreplayable session state. The analyzer only reports; the
// router decides whether to pin the client to its backend or to unpin it.
struct SessionStateEffects {
  uint32_t creates = 0;       // SessionState bits created
  uint32_t releases_all = 0;  // every item of these kinds dropped (DISCARD ALL, UNLISTEN *)
  uint32_t releases_one = 0;  // one item dropped (CLOSE c, DEALLOCATE p, pg_advisory_unlock)

  bool empty() const { return creates == 0 && releases_all == 0 && releases_one == 0; }
  void Merge(const SessionStateEffects& other) {
    creates |= other.creates;
    releases_all |= other.releases_all;
    releases_one |= other.releases_one;
  }
  bool operator==(const SessionStateEffects&) const = default;
};

// SET / RESET / SHOW of a session variable, router-owned (domicile.*) or ordinary.
struct SessionVariable {
  std::string name;    // as PostgreSQL folds it ("timezone" for SET TIME ZONE); "all" for ALL
  std::string value;   // SET's value as text, list items joined by ", "; empty otherwise
  bool local = false;  // SET LOCAL / SET TRANSACTION: ends with the transaction, no replay
  bool operator==(const SessionVariable&) const = default;
};

// One statement of a (possibly multi-statement) simple-Query string.
struct StatementDetail {
  StatementKind kind = StatementKind::kEmpty;
  // This statement's text as sent (without the separating semicolon), for replaying SET and
  // for engines that run statements one by one. Empty in an answer that stands for many texts
  // (StatementInfo::whole_text_is_statement): use StatementInfo::TextOf.
  std::string text;

  // The tenant named by the statement itself (WHERE key = ..., INSERT VALUES, UPDATE SET):
  // the single literal when all references agree; the parameter when the only references
  // are to one parameter; otherwise none.
  TenantRef tenant;
  // Every distinct reference found, literal and parameter, in order of appearance. When it
  // mixes a literal with parameters, or holds several parameters, the router checks the
  // bound values at Bind time.
  std::vector<TenantRef> tenant_refs;
  // Two different literal tenants (a.tenant_id = 'x' AND b.tenant_id = 'y', multi-row
  // VALUES that disagree, IN ('x', 'y')): the statement spans tenants; the router refuses.
  bool tenant_conflict = false;
  // From a /* domicile.tenant=ID */ or -- domicile.tenant=ID comment inside this statement.
  TenantRef hint;

  // kInsert/kUpdate/kDelete/kCopy: the target table as written ("schema.table" or "table").
  std::string table;
  bool copy_from = false;  // kCopy: COPY ... FROM (data flows in); false for COPY ... TO
  // kPrepare/kExecute/kDeallocate/kDeclareCursor/kFetch/kClose/kSavepoint/kRelease/
  // kRollbackTo/kListen/kUnlisten/kNotify: the object's name; empty for ALL / *.
  std::string name;
  // kSet/kReset/kShow/kSetRouterVar/kResetRouterVar/kShowRouterVar.
  SessionVariable variable;
  SessionStateEffects session;
};

// The analysis of one simple-Query string. Immutable once built; shared between callers.
struct StatementInfo {
  std::vector<StatementDetail> statements;  // never empty: at least one kEmpty
  // The hint from any comment in the text (also those between statements); none when the
  // text carries no hint. Comments that disagree set hint_conflict.
  TenantRef hint;
  bool hint_conflict = false;
  // Union of the statements' effects, so the router can test the whole string at once.
  SessionStateEffects session;
  // One answer for every text of one plain form (one SELECT naming no tenant, say), shared
  // instead of built per text: its single statement is the whole query string and carries
  // no text of its own.
  bool whole_text_is_statement = false;

  // Statement `i`'s text, given the query string `sql` this analysis is of.
  std::string_view TextOf(size_t i, std::string_view sql) const {
    return whole_text_is_statement ? sql : std::string_view(statements[i].text);
  }

  // True when any statement is a domicile.* SET/RESET/SHOW, which must not be forwarded.
  bool HasRouterVar() const {
    for (const StatementDetail& s : statements) {
      if (s.kind == StatementKind::kSetRouterVar || s.kind == StatementKind::kResetRouterVar ||
          s.kind == StatementKind::kShowRouterVar) {
        return true;
      }
    }
    return false;
  }
};

inline std::string_view StatementKindName(StatementKind kind) {
  switch (kind) {
    case StatementKind::kEmpty:
      return "Empty";
    case StatementKind::kSelect:
      return "Select";
    case StatementKind::kInsert:
      return "Insert";
    case StatementKind::kUpdate:
      return "Update";
    case StatementKind::kDelete:
      return "Delete";
    case StatementKind::kCopy:
      return "Copy";
    case StatementKind::kBegin:
      return "Begin";
    case StatementKind::kCommit:
      return "Commit";
    case StatementKind::kRollback:
      return "Rollback";
    case StatementKind::kSavepoint:
      return "Savepoint";
    case StatementKind::kRelease:
      return "Release";
    case StatementKind::kRollbackTo:
      return "RollbackTo";
    case StatementKind::kPrepare:
      return "Prepare";
    case StatementKind::kExecute:
      return "Execute";
    case StatementKind::kDeallocate:
      return "Deallocate";
    case StatementKind::kSet:
      return "Set";
    case StatementKind::kReset:
      return "Reset";
    case StatementKind::kShow:
      return "Show";
    case StatementKind::kSetRouterVar:
      return "SetRouterVar";
    case StatementKind::kResetRouterVar:
      return "ResetRouterVar";
    case StatementKind::kShowRouterVar:
      return "ShowRouterVar";
    case StatementKind::kDiscard:
      return "Discard";
    case StatementKind::kListen:
      return "Listen";
    case StatementKind::kUnlisten:
      return "Unlisten";
    case StatementKind::kNotify:
      return "Notify";
    case StatementKind::kDeclareCursor:
      return "DeclareCursor";
    case StatementKind::kFetch:
      return "Fetch";
    case StatementKind::kClose:
      return "Close";
    case StatementKind::kDdl:
      return "Ddl";
    case StatementKind::kOther:
      return "Other";
  }
  return "Unknown";
}

}  // namespace domicile
