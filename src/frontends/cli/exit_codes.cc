// StatusCode -> exit code; keep in step with the table in docs/errors.md.
#include "frontends/cli/exit_codes.h"

namespace domicile::cli {

int ExitCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    case StatusCode::kAlreadyExists:
      return kExitUsage;
    case StatusCode::kPolicyRefused:
      return kExitRefused;
    case StatusCode::kNotFound:
      return kExitNotFound;
    case StatusCode::kUnavailable:
      return kExitUnavailable;
    case StatusCode::kResourceExhausted:
      return kExitUnavailable;
    case StatusCode::kCorrupt:
      return kExitUnavailable;
    case StatusCode::kConflict:
      return kExitConflict;
    case StatusCode::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace domicile::cli
