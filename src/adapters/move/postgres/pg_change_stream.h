// PgChangeStream: the tenant's changes on the source, decoded from pgoutput and applied on
// the target in commit order, exactly once.
#pragma once

#include <memory>
#include <vector>

#include "adapters/move/postgres/pg_tenant_mover.h"
#include "ports/tenant_mover.h"

namespace domicile::pgmove {

// Starts streaming from the position stored on the target (the copy's consistent point, or
// the last applied commit). Source transactions already applied are skipped, so a stream
// reopened after a crash applies each transaction exactly once.
Result<std::unique_ptr<ChangeStream>> OpenPgChangeStream(const PgMoveContext& context,
                                                         const MoveNames& names,
                                                         const std::vector<MoveTable>& tables);

}  // namespace domicile::pgmove
