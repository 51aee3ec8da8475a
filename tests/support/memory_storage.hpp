#pragma once
// A Storage held in memory, with switchable faults: every get (or put) fails with a given error
// while `fail_gets` (`fail_puts`) is set. Counts its calls.
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "cache/storage.hpp"

namespace sccache::testing {

class MemoryStorage final : public Storage {
 public:
  Expected<std::optional<std::string>> get(const std::string& key) override {
    std::lock_guard lock(mu_);
    ++gets;
    if (fail_gets) return *fail_gets;
    auto it = items.find(key);
    if (it == items.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status put(const std::string& key, const std::string& bytes) override {
    std::lock_guard lock(mu_);
    ++puts;
    if (fail_puts) return *fail_puts;
    items[key] = bytes;
    return Ok{};
  }
  void remove(const std::string& key) override {
    std::lock_guard lock(mu_);
    ++removes;
    items.erase(key);
  }
  [[nodiscard]] std::string location() const override { return "Memory"; }
  [[nodiscard]] std::optional<uint64_t> current_size() const override { return std::nullopt; }
  [[nodiscard]] std::optional<uint64_t> max_size() const override { return std::nullopt; }

  // Test-facing state (the service runs on the test's thread, so no lock is needed to read it).
  std::map<std::string, std::string> items;
  std::optional<Error> fail_gets;
  std::optional<Error> fail_puts;
  int gets = 0;
  int puts = 0;
  int removes = 0;

 private:
  std::mutex mu_;
};

}  // namespace sccache::testing
