// Statement kinds, SET/SHOW/RESET variables and pinning effects from libpg_query nodes.
#include "adapters/sql/pgquery/statement_classifier.h"

#include <array>
#include <string>

#include "adapters/sql/pgquery/func_call_walker.h"
#include "adapters/sql/pgquery/pg_query_nodes.h"
#include "adapters/sql/pgquery/tenant_key_extractor.h"

namespace domicile::pgquery {
namespace {

constexpr int kCursorOptHold = 0x0020;  // CURSOR_OPT_HOLD in PostgreSQL's parsenodes.h

using Kind = StatementKind;

// Node types that change the schema or its permissions, by their protobuf field names.
bool IsDdlFieldName(std::string_view name) {
  static constexpr std::string_view kPrefixes[] = {"create_", "alter_", "drop_"};
  static constexpr std::string_view kNames[] = {
      "rename_stmt",  "index_stmt",     "grant_stmt",          "grant_role_stmt",
      "comment_stmt", "truncate_stmt",  "define_stmt",         "composite_type_stmt",
      "rule_stmt",    "sec_label_stmt", "reassign_owned_stmt", "import_foreign_schema_stmt",
      "view_stmt"};
  for (std::string_view prefix : kPrefixes) {
    if (name.substr(0, prefix.size()) == prefix) return true;
  }
  for (std::string_view n : kNames) {
    if (name == n) return true;
  }
  return false;
}

// Built once from the Node descriptor, so new DDL node types are picked up by name.
bool IsDdl(PgQuery__Node__NodeCase node_case) {
  static const std::vector<bool> kDdl = [] {
    const ProtobufCMessageDescriptor& d = pg_query__node__descriptor;
    std::vector<bool> ddl;
    for (unsigned i = 0; i < d.n_fields; ++i) {
      unsigned id = d.fields[i].id;
      if (ddl.size() <= id) ddl.resize(id + 1, false);
      ddl[id] = IsDdlFieldName(d.fields[i].name);
    }
    return ddl;
  }();
  unsigned id = static_cast<unsigned>(node_case);
  return id < kDdl.size() && kDdl[id];
}

// Advisory-lock functions that hold or drop locks for the whole session. The _xact_
// variants end with the transaction and need no pinning.
void AddAdvisoryLockEffects(const PgQuery__Node* stmt, std::string_view text,
                            SessionStateEffects& effects) {
  if (!ContainsIgnoreCase(text, "advisory")) return;  // skip the walk for nearly every query
  ForEachFuncCall(stmt, [&](const PgQuery__FuncCall& call) {
    if (call.n_funcname == 0) return;
    std::string_view name = StringValue(call.funcname[call.n_funcname - 1]);
    if (call.n_funcname == 2 && StringValue(call.funcname[0]) != "pg_catalog") return;
    if (name == "pg_advisory_lock" || name == "pg_advisory_lock_shared" ||
        name == "pg_try_advisory_lock" || name == "pg_try_advisory_lock_shared") {
      effects.creates |= kSessionAdvisoryLock;
    } else if (name == "pg_advisory_unlock" || name == "pg_advisory_unlock_shared") {
      effects.releases_one |= kSessionAdvisoryLock;
    } else if (name == "pg_advisory_unlock_all") {
      effects.releases_all |= kSessionAdvisoryLock;
    }
  });
}

// A SET value as text: 'a' -> a, 42 -> 42; list items joined by ", ".
std::string SetValueText(const PgQuery__VariableSetStmt& set) {
  std::string value;
  for (size_t i = 0; i < set.n_args; ++i) {
    const PgQuery__Node* arg = set.args[i];
    if (Is(arg, PG_QUERY__NODE__NODE_TYPE_CAST)) arg = arg->type_cast->arg;  // INTERVAL '1h'
    if (i > 0) value.append(", ");
    if (!Is(arg, PG_QUERY__NODE__NODE_A_CONST)) continue;
    const PgQuery__AConst& c = *arg->a_const;
    if (c.val_case == PG_QUERY__A__CONST__VAL_SVAL && c.sval != nullptr) {
      value.append(Text(c.sval->sval));
    } else if (c.val_case == PG_QUERY__A__CONST__VAL_IVAL && c.ival != nullptr) {
      value.append(std::to_string(c.ival->ival));
    } else if (c.val_case == PG_QUERY__A__CONST__VAL_FVAL && c.fval != nullptr) {
      value.append(Text(c.fval->fval));
    } else if (c.val_case == PG_QUERY__A__CONST__VAL_BOOLVAL && c.boolval != nullptr) {
      value.append(c.boolval->boolval ? "true" : "false");
    }
  }
  return value;
}

void ClassifySet(const PgQuery__VariableSetStmt& set, StatementDetail& d) {
  std::string_view name = Text(set.name);
  bool router = IsRouterVariable(name);
  d.variable.name = set.kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL ? "all" : name;
  // SET TRANSACTION ... only lasts for the current transaction.
  d.variable.local = set.is_local || name == "TRANSACTION";
  switch (set.kind) {
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE:
      d.kind = router ? Kind::kSetRouterVar : Kind::kSet;
      d.variable.value = SetValueText(set);
      return;
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
    case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
    case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
      d.kind = router ? Kind::kResetRouterVar : Kind::kReset;
      return;
    default:  // SET ... FROM CURRENT, SET TRANSACTION / SESSION CHARACTERISTICS
      d.kind = router ? Kind::kSetRouterVar : Kind::kSet;
      return;
  }
}

void ClassifyTransaction(const PgQuery__TransactionStmt& tx, StatementDetail& d) {
  switch (tx.kind) {
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
      d.kind = Kind::kBegin;
      return;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
      d.kind = Kind::kCommit;
      return;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
      d.kind = Kind::kRollback;
      return;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
      d.kind = Kind::kSavepoint;
      break;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
      d.kind = Kind::kRelease;
      break;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
      d.kind = Kind::kRollbackTo;
      break;
    default:
      d.kind = Kind::kOther;
      return;  // PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED
  }
  d.name = Text(tx.savepoint_name);
}

void ClassifyDiscard(const PgQuery__DiscardStmt& discard, StatementDetail& d) {
  d.kind = Kind::kDiscard;
  if (discard.target == PG_QUERY__DISCARD_MODE__DISCARD_ALL) {
    d.session.releases_all = kSessionAll;
  } else if (discard.target == PG_QUERY__DISCARD_MODE__DISCARD_TEMP) {
    d.session.releases_all = kSessionTempTable;
  }
}

// Sets kind, names and variables; returns the node whose tenant references count (the
// statement itself, or the query inside PREPARE / DECLARE / EXPLAIN / COPY / CREATE AS).
const PgQuery__Node* ClassifyNode(const PgQuery__Node& n, StatementDetail& d) {
  switch (n.node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT:
      d.kind = Kind::kSelect;
      if (n.select_stmt->into_clause != nullptr && IsTemp(n.select_stmt->into_clause->rel)) {
        d.session.creates |= kSessionTempTable;
      }
      return &n;
    case PG_QUERY__NODE__NODE_INSERT_STMT:
      d.kind = Kind::kInsert;
      if (n.insert_stmt->relation != nullptr) d.table = QualifiedName(*n.insert_stmt->relation);
      return &n;
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
      d.kind = Kind::kUpdate;
      if (n.update_stmt->relation != nullptr) d.table = QualifiedName(*n.update_stmt->relation);
      return &n;
    case PG_QUERY__NODE__NODE_DELETE_STMT:
      d.kind = Kind::kDelete;
      if (n.delete_stmt->relation != nullptr) d.table = QualifiedName(*n.delete_stmt->relation);
      return &n;
    case PG_QUERY__NODE__NODE_COPY_STMT:
      d.kind = Kind::kCopy;
      d.copy_from = n.copy_stmt->is_from;
      if (n.copy_stmt->relation != nullptr) d.table = QualifiedName(*n.copy_stmt->relation);
      return n.copy_stmt->query;
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
      ClassifyTransaction(*n.transaction_stmt, d);
      return nullptr;
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
      ClassifySet(*n.variable_set_stmt, d);
      return nullptr;
    case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT:
      d.variable.name = Text(n.variable_show_stmt->name);
      d.kind = IsRouterVariable(d.variable.name) ? Kind::kShowRouterVar : Kind::kShow;
      return nullptr;
    case PG_QUERY__NODE__NODE_DISCARD_STMT:
      ClassifyDiscard(*n.discard_stmt, d);
      return nullptr;
    case PG_QUERY__NODE__NODE_PREPARE_STMT:
      d.kind = Kind::kPrepare;
      d.name = Text(n.prepare_stmt->name);
      d.session.creates |= kSessionPrepared;
      return n.prepare_stmt->query;
    case PG_QUERY__NODE__NODE_EXECUTE_STMT:
      d.kind = Kind::kExecute;
      d.name = Text(n.execute_stmt->name);
      return nullptr;
    case PG_QUERY__NODE__NODE_DEALLOCATE_STMT:
      d.kind = Kind::kDeallocate;
      d.name = Text(n.deallocate_stmt->name);
      (d.name.empty() ? d.session.releases_all : d.session.releases_one) |= kSessionPrepared;
      return nullptr;
    case PG_QUERY__NODE__NODE_LISTEN_STMT:
      d.kind = Kind::kListen;
      d.name = Text(n.listen_stmt->conditionname);
      d.session.creates |= kSessionListen;
      return nullptr;
    case PG_QUERY__NODE__NODE_UNLISTEN_STMT:
      d.kind = Kind::kUnlisten;
      d.name = Text(n.unlisten_stmt->conditionname);
      (d.name.empty() ? d.session.releases_all : d.session.releases_one) |= kSessionListen;
      return nullptr;
    case PG_QUERY__NODE__NODE_NOTIFY_STMT:
      d.kind = Kind::kNotify;
      d.name = Text(n.notify_stmt->conditionname);
      return nullptr;
    case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT:
      d.kind = Kind::kDeclareCursor;
      d.name = Text(n.declare_cursor_stmt->portalname);
      // Without HOLD a cursor dies with its transaction, which pins the client anyway.
      if ((n.declare_cursor_stmt->options & kCursorOptHold) != 0) {
        d.session.creates |= kSessionHoldCursor;
      }
      return n.declare_cursor_stmt->query;
    case PG_QUERY__NODE__NODE_FETCH_STMT:
      d.kind = Kind::kFetch;
      d.name = Text(n.fetch_stmt->portalname);
      return nullptr;
    case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT:
      d.kind = Kind::kClose;
      d.name = Text(n.close_portal_stmt->portalname);
      (d.name.empty() ? d.session.releases_all : d.session.releases_one) |= kSessionHoldCursor;
      return nullptr;
    case PG_QUERY__NODE__NODE_CREATE_STMT:
      d.kind = Kind::kDdl;
      if (IsTemp(n.create_stmt->relation)) d.session.creates |= kSessionTempTable;
      return nullptr;
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
      d.kind = Kind::kDdl;
      if (n.create_table_as_stmt->into != nullptr && IsTemp(n.create_table_as_stmt->into->rel)) {
        d.session.creates |= kSessionTempTable;
      }
      return n.create_table_as_stmt->query;
    case PG_QUERY__NODE__NODE_VIEW_STMT:
      d.kind = Kind::kDdl;
      if (IsTemp(n.view_stmt->view)) d.session.creates |= kSessionTempTable;
      return nullptr;
    case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
      d.kind = Kind::kDdl;
      if (IsTemp(n.create_seq_stmt->sequence)) d.session.creates |= kSessionTempTable;
      return nullptr;
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
      d.kind = Kind::kOther;
      return n.explain_stmt->query;
    default:
      d.kind = IsDdl(n.node_case) ? Kind::kDdl : Kind::kOther;
      return nullptr;
  }
}

}  // namespace

bool IsRouterVariable(std::string_view name) { return StartsWithIgnoreCase(name, "domicile."); }

StatementDetail ClassifyStatement(const PgQuery__Node* stmt, std::string_view text,
                                  const RoutingRules& rules) {
  StatementDetail detail;
  if (stmt == nullptr || stmt->node_case == PG_QUERY__NODE__NODE__NOT_SET) return detail;
  const PgQuery__Node* query = ClassifyNode(*stmt, detail);
  ExtractTenantRefs(query, rules).ApplyTo(detail);
  AddAdvisoryLockEffects(stmt, text, detail.session);
  return detail;
}

}  // namespace domicile::pgquery
