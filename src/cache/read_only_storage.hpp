#pragma once
// A backend used for reads only (S3 without credentials today; a backend's configured read-only
// mode next): lookups pass through, puts are refused as `item_rejected` without reaching the
// backend (the server counts them as skipped writes), and corrupt entries are left in place.
#include <memory>

#include "cache/storage.hpp"

namespace sccache {

class ReadOnlyStorage final : public Storage {
 public:
  explicit ReadOnlyStorage(std::unique_ptr<Storage> inner) : inner_(std::move(inner)) {}
  Expected<std::optional<std::string>> get(const std::string& key) override { return inner_->get(key); }
  Status put(const std::string& key, const std::string& bytes) override;
  void remove(const std::string& key) override { (void)key; }
  [[nodiscard]] std::string location() const override { return inner_->location(); }
  [[nodiscard]] std::optional<uint64_t> current_size() const override { return inner_->current_size(); }
  [[nodiscard]] std::optional<uint64_t> max_size() const override { return inner_->max_size(); }
  [[nodiscard]] bool read_only() const override { return true; }

 private:
  std::unique_ptr<Storage> inner_;
};

}  // namespace sccache
