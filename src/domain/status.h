// Status and Result<T>: how every layer reports expected failures without exceptions.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace domicile {

// Each code maps to one PostgreSQL SQLSTATE (wire front end) and one CLI exit code;
// docs/errors.md lists both. Add a code only when a caller must react to it differently.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // bad input: ids, config, SQL, payloads (22023 / exit 2)
  kNotFound,          // unknown tenant, shard, jurisdiction (42704 / exit 4)
  kAlreadyExists,     // creating what exists with different content (42710 / exit 2)
  kPolicyRefused,     // residency or placement refused (42501 / exit 3)
  kConflict,          // compare-and-set lost: the catalog moved on (40001 / exit 6)
  kUnavailable,       // a backend cannot be reached (08006 / exit 5)
  kResourceExhausted, // a pool or limit is full and the wait timed out (53300 / exit 5)
  kCorrupt,           // a file that is not what it claims (XX001 / exit 5)
  kInternal,          // a bug or an unexpected backend answer (XX000 / exit 1)
};

std::string_view StatusCodeName(StatusCode code);
// The SQLSTATE a client sees for this code.
std::string_view SqlState(StatusCode code);

class Status {
 public:
  Status() = default;  // ok; costs nothing
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NotFound: unknown tenant 'x'"
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status PolicyRefused(std::string m) { return {StatusCode::kPolicyRefused, std::move(m)}; }
inline Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Corrupt(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status that explains why there is none. Never holds an ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace domicile

// Return early from a function returning Status or Result<T> when `expr` failed.
#define DOMICILE_RETURN_IF_ERROR(expr)            \
  do {                                            \
    ::domicile::Status _st = (expr);              \
    if (!_st.ok()) return _st;                    \
  } while (0)
