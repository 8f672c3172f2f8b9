// Finds where a DML statement names its tenant: key-column equalities, VALUES, SET targets.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <vector>

#include "domain/statement_info.h"
#include "ports/statement_analyzer.h"

namespace domicile::pgquery {

// Distinct tenant references in order of first appearance.
struct TenantRefs {
  std::vector<TenantRef> refs;

  bool empty() const { return refs.empty(); }
  void Add(TenantRef ref);
  void Append(const TenantRefs& other);
  // Fills detail.tenant, detail.tenant_refs and detail.tenant_conflict (see StatementDetail).
  void ApplyTo(StatementDetail& detail) const;
};

// Appends `ref` to `refs` unless an equal reference is there already (TenantRefs::Add).
void AddDistinct(std::vector<TenantRef>& refs, TenantRef ref);

// Sets detail.tenant and detail.tenant_conflict from detail.tenant_refs (distinct references),
// as ApplyTo does.
void DeriveTenant(StatementDetail& detail);

// The tenant references of a SELECT, INSERT, UPDATE or DELETE node; empty for other nodes.
//
// Only what pins every touched row to one tenant counts: `key = value` (either side, key
// column qualified by table or alias or not at all) and `key IN (values)` among the
// top-level AND conjuncts of WHERE and of INNER JOIN ... ON; never under OR or NOT, never in
// subqueries or CTEs. A UNION/INTERSECT/EXCEPT counts only when every arm names a tenant.
// INSERT needs a column list: single or multi-row VALUES (every row must name the tenant),
// or INSERT ... SELECT whose key expression is a value or the source's own key column.
// UPDATE ... SET key = value and ON CONFLICT DO UPDATE SET key = value also count, so that
// moving a row to another tenant shows up as a conflict.
TenantRefs ExtractTenantRefs(const PgQuery__Node* stmt, const RoutingRules& rules);

}  // namespace domicile::pgquery
