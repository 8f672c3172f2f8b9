// WireWriter: appends one length-prefixed message at a time to a caller-owned buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace domicile::pgwire {

// Writes into `out` (appending, so a reused buffer costs no allocation once warm). Begin*
// reserves the length word, End() back-patches it; calls between Begin and End append the
// body. Messages may not nest. Not thread-safe.
class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(out) {}

  // A typed message: type byte, then the length word.
  void Begin(char type) {
    out_.push_back(type);
    BeginUntyped();
  }
  // A startup-phase packet (StartupMessage, SSLRequest, CancelRequest): no type byte.
  void BeginUntyped() {
    start_ = out_.size();
    out_.append(4, '\0');
  }
  void End() { Store(start_, static_cast<uint32_t>(out_.size() - start_)); }

  void Byte(char c) { out_.push_back(c); }
  void Int16(int16_t v) {
    out_.push_back(static_cast<char>((v >> 8) & 0xff));
    out_.push_back(static_cast<char>(v & 0xff));
  }
  void Int32(int32_t v) {
    size_t at = out_.size();
    out_.append(4, '\0');
    Store(at, static_cast<uint32_t>(v));
  }
  // Writes `s` up to its first NUL (the wire cannot carry one inside a string), then NUL.
  void CString(std::string_view s) {
    size_t nul = s.find('\0');
    out_.append(s.substr(0, nul));
    out_.push_back('\0');
  }
  void Bytes(std::string_view s) { out_.append(s); }

 private:
  void Store(size_t at, uint32_t v) {
    out_[at] = static_cast<char>(v >> 24);
    out_[at + 1] = static_cast<char>(v >> 16);
    out_[at + 2] = static_cast<char>(v >> 8);
    out_[at + 3] = static_cast<char>(v);
  }

  std::string& out_;
  size_t start_ = 0;
};

}  // namespace domicile::pgwire
