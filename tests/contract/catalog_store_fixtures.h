// Catalog data and comparisons shared by the CatalogStore contract suite and adapter tests.
#pragma once

#include <string>

#include "domain/shard_map.h"
#include "ports/catalog_store.h"

namespace domicile::testing {

// Three jurisdictions (one with two regions), three shards that between them use every
// engine, every state, and non-default weight and capacity, and two tenants (one frozen,
// allowing two jurisdictions). Meant to be applied to an empty catalog.
CatalogChange DemoCatalogChange();

// A new tenant `id` allowed in EU and living on shard eu-1 (from DemoCatalogChange).
CatalogChange NewEuTenantChange(const std::string& id);

// map.Apply(change), failing the current test (and returning an empty change) when invalid.
AppliedChange ApplyOrFail(const ShardMap& map, const CatalogChange& change);

// Loads `store`'s catalog, applies `change` and commits it on the loaded version, failing the
// current test on any error: a change made the way a mover or an admin makes it, e.g. beside a
// running router that shares the catalog file.
void CommitOrFail(CatalogStore& store, const CatalogChange& change);

// Field-by-field equality of two catalogs (version, jurisdictions, shards, tenants), as gtest
// failures that name the differing entity.
void ExpectSameCatalog(const ShardMap& actual, const ShardMap& expected);

}  // namespace domicile::testing
