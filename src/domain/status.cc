#include "domain/status.h"

namespace domicile {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kPolicyRefused: return "PolicyRefused";
    case StatusCode::kConflict: return "Conflict";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kResourceExhausted: return "ResourceExhausted";
    case StatusCode::kCorrupt: return "Corrupt";
    case StatusCode::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string_view SqlState(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "00000";
    case StatusCode::kInvalidArgument: return "22023";
    case StatusCode::kNotFound: return "42704";
    case StatusCode::kAlreadyExists: return "42710";
    case StatusCode::kPolicyRefused: return "42501";
    case StatusCode::kConflict: return "40001";
    case StatusCode::kUnavailable: return "08006";
    case StatusCode::kResourceExhausted: return "53300";
    case StatusCode::kCorrupt: return "XX001";
    case StatusCode::kInternal: return "XX000";
  }
  return "XX000";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace domicile
