#pragma once
// Little-endian binary writer/reader for the project's own formats (wire frames, entries).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sccache {

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void str(std::string_view s) {
    u64(s.size());
    out_.append(s);
  }
  void strs(const std::vector<std::string>& v) {
    u64(v.size());
    for (const auto& s : v) str(s);
  }
  void raw(std::string_view s) { out_.append(s); }
  std::string& data() { return out_; }

 private:
  std::string out_;
};

// Every read returns false once the input is exhausted; callers check ok() at the end.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  bool u8(uint8_t& v) {
    if (!need(1)) return false;
    v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool u32(uint32_t& v) {
    if (!need(4)) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return true;
  }
  bool u64(uint64_t& v) {
    if (!need(8)) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return true;
  }
  bool i32(int32_t& v) {
    uint32_t u = 0;
    if (!u32(u)) return false;
    v = static_cast<int32_t>(u);
    return true;
  }
  bool str(std::string& s) {
    uint64_t n = 0;
    if (!u64(n) || !need(n)) return fail();
    s.assign(data_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool strs(std::vector<std::string>& v) {
    uint64_t n = 0;
    // Each string takes at least its 8-byte length: a count beyond that is a lie, not a size
    // to allocate for.
    if (!u64(n) || n > (data_.size() - pos_) / 8) return fail();
    v.resize(n);
    for (auto& s : v) {
      if (!str(s)) return false;
    }
    return true;
  }
  // The next `n` bytes, without a copy (valid while the input is).
  bool view(uint64_t n, std::string_view& v) {
    if (!need(n)) return false;
    v = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool at_end() const { return ok_ && pos_ == data_.size(); }

 private:
  bool need(uint64_t n) {
    if (!ok_ || data_.size() - pos_ < n) return fail();
    return true;
  }
  bool fail() {
    ok_ = false;
    return false;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace sccache
