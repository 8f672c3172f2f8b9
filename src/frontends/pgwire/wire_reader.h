// WireReader: bounds-checked big-endian reads over one message body ("validate, then read").
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace domicile::pgwire {

// Reads fields from a body that the caller keeps alive. Every Read* checks the remaining
// length first and returns false, consuming nothing, when the field does not fit; it never
// reads past the body. Views returned point into the body. Not thread-safe; cheap to copy.
class WireReader {
 public:
  explicit WireReader(std::string_view body) : data_(body) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool AtEnd() const { return pos_ == data_.size(); }
  // The unread bytes, without consuming them.
  std::string_view Rest() const { return data_.substr(pos_); }

  bool ReadByte(char* out) {
    if (remaining() < 1) return false;
    *out = data_[pos_++];
    return true;
  }
  bool ReadInt16(int16_t* out) {
    if (remaining() < 2) return false;
    *out = static_cast<int16_t>(Load(2));
    return true;
  }
  bool ReadInt32(int32_t* out) {
    if (remaining() < 4) return false;
    *out = static_cast<int32_t>(Load(4));
    return true;
  }
  // A NUL-terminated string; the view excludes the NUL. False when no NUL remains.
  bool ReadCString(std::string_view* out) {
    const void* nul = std::memchr(data_.data() + pos_, '\0', remaining());
    if (nul == nullptr) return false;
    size_t len = static_cast<const char*>(nul) - (data_.data() + pos_);
    *out = data_.substr(pos_, len);
    pos_ += len + 1;
    return true;
  }
  bool ReadBytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  uint32_t Load(size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(data_[pos_ + i]);
    pos_ += n;
    return v;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

// Big-endian int32 at `p`; the caller guarantees 4 readable bytes.
inline int32_t LoadInt32(const char* p) {
  auto b = [p](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(p[i])); };
  return static_cast<int32_t>(b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3));
}

}  // namespace domicile::pgwire
