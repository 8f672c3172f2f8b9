// Tenant references from WHERE conjuncts, join quals, VALUES rows and SET targets.
#include "adapters/sql/pgquery/tenant_key_extractor.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/sql/pgquery/pg_query_nodes.h"

namespace domicile::pgquery {
namespace {

// One table visible by name in a FROM list, with the column that holds its tenant.
struct ScopeTable {
  std::string_view schema;
  std::string_view table;
  std::string_view alias;  // when set, PostgreSQL hides the table's own name
  const std::string* key_column = nullptr;
};

struct Scope {
  std::vector<ScopeTable> tables;
  std::vector<const PgQuery__Node*> join_quals;  // ON clauses of INNER joins: act as WHERE
};

void AddTable(const PgQuery__RangeVar* range, const RoutingRules& rules, Scope& scope) {
  if (range == nullptr) return;
  std::string_view schema = Text(range->schemaname);
  std::string_view table = Text(range->relname);
  std::string_view alias = range->alias != nullptr ? Text(range->alias->aliasname) : "";
  scope.tables.push_back({schema, table, alias, &rules.KeyColumnFor(schema, table)});
}

// Subqueries and functions in FROM are opaque: their columns are not resolvable here.
void AddFromItem(const PgQuery__Node* item, const RoutingRules& rules, Scope& scope) {
  if (Is(item, PG_QUERY__NODE__NODE_RANGE_VAR)) {
    AddTable(item->range_var, rules, scope);
  } else if (Is(item, PG_QUERY__NODE__NODE_JOIN_EXPR)) {
    const PgQuery__JoinExpr& join = *item->join_expr;
    AddFromItem(join.larg, rules, scope);
    AddFromItem(join.rarg, rules, scope);
    if (join.jointype == PG_QUERY__JOIN_TYPE__JOIN_INNER && join.quals != nullptr) {
      scope.join_quals.push_back(join.quals);
    }
  }
}

void AddFromList(size_t n, PgQuery__Node* const* items, const RoutingRules& rules, Scope& scope) {
  for (size_t i = 0; i < n; ++i) AddFromItem(items[i], rules, scope);
}

// True when `ref` names the tenant key column of a table in `scope`.
bool IsKeyColumn(const PgQuery__Node* node, const Scope& scope) {
  if (!Is(node, PG_QUERY__NODE__NODE_COLUMN_REF)) return false;
  const PgQuery__ColumnRef& ref = *node->column_ref;
  if (ref.n_fields == 0 || ref.n_fields > 4) return false;
  for (size_t i = 0; i < ref.n_fields; ++i) {
    if (!Is(ref.fields[i], PG_QUERY__NODE__NODE_STRING)) return false;  // t.* and friends
  }
  std::string_view column = StringValue(ref.fields[ref.n_fields - 1]);
  for (const ScopeTable& t : scope.tables) {
    if (*t.key_column != column) continue;
    if (ref.n_fields == 1) return true;
    std::string_view qualifier = StringValue(ref.fields[ref.n_fields - 2]);
    if (ref.n_fields == 2) {
      if (t.alias.empty() ? t.table == qualifier : t.alias == qualifier) return true;
      continue;
    }
    // schema.table.column (catalog.schema.table.column): only unaliased tables.
    std::string_view schema = StringValue(ref.fields[ref.n_fields - 3]);
    if (t.alias.empty() && t.table == qualifier && t.schema == schema) return true;
  }
  return false;
}

// The tenant a value expression stands for: a constant or a parameter, through casts.
std::optional<TenantRef> ValueRef(const PgQuery__Node* node) {
  if (Is(node, PG_QUERY__NODE__NODE_TYPE_CAST)) return ValueRef(node->type_cast->arg);
  if (Is(node, PG_QUERY__NODE__NODE_PARAM_REF)) return TenantRef::Param(node->param_ref->number);
  if (!Is(node, PG_QUERY__NODE__NODE_A_CONST)) return std::nullopt;
  const PgQuery__AConst& c = *node->a_const;
  if (c.isnull) return std::nullopt;
  switch (c.val_case) {
    case PG_QUERY__A__CONST__VAL_SVAL:
      return TenantRef::Literal(std::string(Text(c.sval ? c.sval->sval : nullptr)));
    case PG_QUERY__A__CONST__VAL_IVAL:
      return TenantRef::Literal(std::to_string(c.ival ? c.ival->ival : 0));
    case PG_QUERY__A__CONST__VAL_FVAL:  // integers too large for int32 arrive as Float
      return TenantRef::Literal(std::string(Text(c.fval ? c.fval->fval : nullptr)));
    default:
      return std::nullopt;
  }
}

bool IsOperator(const PgQuery__AExpr& expr, std::string_view op) {
  return expr.n_name >= 1 && StringValue(expr.name[expr.n_name - 1]) == op;
}

void AddPredicate(const PgQuery__AExpr& expr, const Scope& scope, TenantRefs& out) {
  if (expr.kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && IsOperator(expr, "=")) {
    std::optional<TenantRef> value;
    if (IsKeyColumn(expr.lexpr, scope)) value = ValueRef(expr.rexpr);
    if (!value && IsKeyColumn(expr.rexpr, scope)) value = ValueRef(expr.lexpr);
    if (value) out.Add(std::move(*value));
    return;
  }
  // key IN (v1, v2...): every value is a tenant the statement may touch; any non-value item
  // leaves the set open, so the whole predicate is skipped.
  if (expr.kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN && IsOperator(expr, "=") &&
      IsKeyColumn(expr.lexpr, scope) && Is(expr.rexpr, PG_QUERY__NODE__NODE_LIST)) {
    const PgQuery__List& list = *expr.rexpr->list;
    TenantRefs values;
    for (size_t i = 0; i < list.n_items; ++i) {
      std::optional<TenantRef> value = ValueRef(list.items[i]);
      if (!value) return;
      values.Add(std::move(*value));
    }
    out.Append(values);
  }
}

// Walks the AND tree at the top of a qualification; stops at OR, NOT and everything else.
void AddConjuncts(const PgQuery__Node* qual, const Scope& scope, TenantRefs& out) {
  if (Is(qual, PG_QUERY__NODE__NODE_BOOL_EXPR)) {
    const PgQuery__BoolExpr& b = *qual->bool_expr;
    if (b.boolop != PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) return;
    for (size_t i = 0; i < b.n_args; ++i) AddConjuncts(b.args[i], scope, out);
  } else if (Is(qual, PG_QUERY__NODE__NODE_A_EXPR)) {
    AddPredicate(*qual->a_expr, scope, out);
  }
}

void AddScopeConjuncts(const PgQuery__Node* where, const Scope& scope, TenantRefs& out) {
  AddConjuncts(where, scope, out);
  for (const PgQuery__Node* qual : scope.join_quals) AddConjuncts(qual, scope, out);
}

// SET key = value in UPDATE and ON CONFLICT DO UPDATE.
void AddKeyAssignments(size_t n, PgQuery__Node* const* targets, const std::string& key,
                       TenantRefs& out) {
  for (size_t i = 0; i < n; ++i) {
    if (!Is(targets[i], PG_QUERY__NODE__NODE_RES_TARGET)) continue;
    const PgQuery__ResTarget& target = *targets[i]->res_target;
    if (Text(target.name) != key || target.n_indirection != 0) continue;
    if (std::optional<TenantRef> value = ValueRef(target.val)) out.Add(std::move(*value));
  }
}

TenantRefs SelectRefs(const PgQuery__SelectStmt& select, const RoutingRules& rules,
                      Scope* scope_out = nullptr) {
  TenantRefs refs;
  if (select.op != PG_QUERY__SET_OPERATION__SETOP_NONE) {
    if (select.larg == nullptr || select.rarg == nullptr) return refs;
    refs = SelectRefs(*select.larg, rules);
    TenantRefs right = SelectRefs(*select.rarg, rules);
    if (refs.empty() || right.empty()) return {};
    refs.Append(right);
    return refs;
  }
  Scope scope;
  AddFromList(select.n_from_clause, select.from_clause, rules, scope);
  AddScopeConjuncts(select.where_clause, scope, refs);
  if (scope_out != nullptr) *scope_out = std::move(scope);
  return refs;
}

// Position of `key` in INSERT's column list, or -1.
int KeyColumnIndex(const PgQuery__InsertStmt& insert, const std::string& key) {
  for (size_t i = 0; i < insert.n_cols; ++i) {
    if (!Is(insert.cols[i], PG_QUERY__NODE__NODE_RES_TARGET)) continue;
    const PgQuery__ResTarget& col = *insert.cols[i]->res_target;
    if (Text(col.name) == key && col.n_indirection == 0) return static_cast<int>(i);
  }
  return -1;
}

TenantRefs InsertRefs(const PgQuery__InsertStmt& insert, const RoutingRules& rules) {
  TenantRefs refs;
  if (insert.relation == nullptr) return refs;
  const std::string& key =
      rules.KeyColumnFor(Text(insert.relation->schemaname), Text(insert.relation->relname));
  int index = KeyColumnIndex(insert, key);
  if (index < 0 || !Is(insert.select_stmt, PG_QUERY__NODE__NODE_SELECT_STMT)) return refs;
  const PgQuery__SelectStmt& source = *insert.select_stmt->select_stmt;
  const size_t at = static_cast<size_t>(index);
  if (source.n_values_lists > 0) {
    for (size_t row = 0; row < source.n_values_lists; ++row) {
      const PgQuery__Node* items = source.values_lists[row];
      if (!Is(items, PG_QUERY__NODE__NODE_LIST) || items->list->n_items <= at) return {};
      std::optional<TenantRef> value = ValueRef(items->list->items[at]);
      if (!value) return {};  // DEFAULT or an expression: this row's tenant is unknown
      refs.Add(std::move(*value));
    }
  } else if (source.op == PG_QUERY__SET_OPERATION__SETOP_NONE && source.n_target_list > at &&
             Is(source.target_list[at], PG_QUERY__NODE__NODE_RES_TARGET)) {
    // INSERT ... SELECT: the key is a value, or the source's key column filtered by WHERE.
    Scope scope;
    TenantRefs read = SelectRefs(source, rules, &scope);
    const PgQuery__Node* expr = source.target_list[at]->res_target->val;
    if (std::optional<TenantRef> value = ValueRef(expr)) {
      refs.Add(std::move(*value));
      refs.Append(read);
    } else if (IsKeyColumn(expr, scope) && !read.empty()) {
      refs = read;
    }
  }
  if (!refs.empty() && insert.on_conflict_clause != nullptr) {
    AddKeyAssignments(insert.on_conflict_clause->n_target_list,
                      insert.on_conflict_clause->target_list, key, refs);
  }
  return refs;
}

TenantRefs UpdateRefs(const PgQuery__UpdateStmt& update, const RoutingRules& rules) {
  TenantRefs refs;
  if (update.relation == nullptr) return refs;
  Scope scope;
  AddTable(update.relation, rules, scope);
  AddFromList(update.n_from_clause, update.from_clause, rules, scope);
  AddScopeConjuncts(update.where_clause, scope, refs);
  AddKeyAssignments(update.n_target_list, update.target_list, *scope.tables.front().key_column,
                    refs);
  return refs;
}

TenantRefs DeleteRefs(const PgQuery__DeleteStmt& del, const RoutingRules& rules) {
  TenantRefs refs;
  if (del.relation == nullptr) return refs;
  Scope scope;
  AddTable(del.relation, rules, scope);
  AddFromList(del.n_using_clause, del.using_clause, rules, scope);
  AddScopeConjuncts(del.where_clause, scope, refs);
  return refs;
}

}  // namespace

void AddDistinct(std::vector<TenantRef>& refs, TenantRef ref) {
  if (std::find(refs.begin(), refs.end(), ref) == refs.end()) refs.push_back(std::move(ref));
}

void TenantRefs::Add(TenantRef ref) { AddDistinct(refs, std::move(ref)); }

void TenantRefs::Append(const TenantRefs& other) {
  for (const TenantRef& ref : other.refs) Add(ref);
}

void TenantRefs::ApplyTo(StatementDetail& detail) const {
  detail.tenant_refs = refs;
  DeriveTenant(detail);
}

void DeriveTenant(StatementDetail& detail) {
  const TenantRef* literal = nullptr;
  const TenantRef* param = nullptr;
  int params = 0;
  for (const TenantRef& ref : detail.tenant_refs) {
    if (ref.is_literal()) {
      if (literal != nullptr) detail.tenant_conflict = true;  // refs are distinct
      literal = &ref;
    } else if (ref.is_param()) {
      param = &ref;
      ++params;
    }
  }
  if (detail.tenant_conflict) {
    detail.tenant = TenantRef::None();
  } else if (literal != nullptr) {
    detail.tenant = *literal;
  } else if (params == 1) {
    detail.tenant = *param;
  }
}

TenantRefs ExtractTenantRefs(const PgQuery__Node* stmt, const RoutingRules& rules) {
  if (stmt == nullptr) return {};
  switch (stmt->node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT:
      return SelectRefs(*stmt->select_stmt, rules);
    case PG_QUERY__NODE__NODE_INSERT_STMT:
      return InsertRefs(*stmt->insert_stmt, rules);
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
      return UpdateRefs(*stmt->update_stmt, rules);
    case PG_QUERY__NODE__NODE_DELETE_STMT:
      return DeleteRefs(*stmt->delete_stmt, rules);
    default:
      return {};
  }
}

}  // namespace domicile::pgquery
