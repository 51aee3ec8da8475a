#include "server/direct_plans.hpp"

#include <algorithm>


namespace sccache {

namespace {
constexpr size_t kMaxPathBytes = 4096;
constexpr uint64_t kMaxLoadedPlans = 100'000;
constexpr uint64_t kMaxLoadedChecks = 1'000'000;
}  // namespace

DirectPlan DirectPlan::Builder::finish(std::string result_key) {
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) { return a.path < b.path; });
  DirectPlan plan;
  plan.result_key_ = std::move(result_key);
  const std::string* prev = nullptr;
  for (const auto& item : items_) {
    if (item.path.size() > kMaxPathBytes) return DirectPlan{};  // not plannable: an empty plan fails
    size_t shared = 0;
    if (prev != nullptr) {
      const size_t limit = std::min(prev->size(), item.path.size());
      while (shared < limit && (*prev)[shared] == item.path[shared]) ++shared;
    }
    plan.names_.append(item.path, shared, std::string::npos);
    plan.checks_.push_back(Check{item.st, static_cast<uint16_t>(shared),
                                 static_cast<uint16_t>(item.path.size() - shared), item.mtime_only});
    prev = &item.path;
  }
  return plan;
}

size_t DirectPlan::weight() const {
  return sizeof(DirectPlan) + result_key_.size() + names_.size() + checks_.size() * sizeof(Check);
}

bool DirectPlan::still_holds() const {
  if (checks_.empty()) return false;
  std::string path;
  size_t at = 0;
  for (const auto& c : checks_) {
    if (c.shared > path.size() || at + c.suffix > names_.size()) return false;
    path.resize(c.shared);
    path.append(names_, at, c.suffix);
    at += c.suffix;
    auto st = stat_file(path);
    if (!st) return false;
    if (c.mtime_only ? st->mtime_ns != c.st.mtime_ns : *st != c.st) return false;
  }
  return true;
}

void DirectPlan::save(ByteWriter& out) const {
  out.str(result_key_);
  out.str(names_);
  out.u64(checks_.size());
  for (const auto& c : checks_) {
    write_file_stat(out, c.st);
    out.u32(c.shared | (static_cast<uint32_t>(c.suffix) << 16));
    out.u8(c.mtime_only ? 1 : 0);
  }
}

bool DirectPlan::load(ByteReader& in, DirectPlan& plan) {
  uint64_t n = 0;
  if (!in.str(plan.result_key_) || !in.str(plan.names_) || !in.u64(n) || n > kMaxLoadedChecks) return false;
  plan.checks_.resize(n);
  for (auto& c : plan.checks_) {
    uint32_t lens = 0;
    uint8_t flag = 0;
    if (!read_file_stat(in, c.st) || !in.u32(lens) || !in.u8(flag)) return false;
    c.shared = static_cast<uint16_t>(lens & 0xFFFF);
    c.suffix = static_cast<uint16_t>(lens >> 16);
    c.mtime_only = flag != 0;
  }
  return true;
}

std::shared_ptr<const DirectPlan> DirectPlans::find(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(id);
  if (it == slots_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second.at);
  return it->second.plan;
}

void DirectPlans::put(const std::string& id, DirectPlan plan) {
  const size_t weight = plan.weight() + id.size();
  if (plan.empty() || weight > budget_) return;
  std::lock_guard lock(mu_);
  if (auto it = slots_.find(id); it != slots_.end()) {
    used_ -= it->second.weight;
    order_.erase(it->second.at);
    slots_.erase(it);
  }
  while (used_ + weight > budget_ && !order_.empty()) {
    auto last = slots_.find(order_.back());
    used_ -= last->second.weight;
    slots_.erase(last);
    order_.pop_back();
  }
  order_.push_front(id);
  slots_.emplace(id, Slot{std::make_shared<const DirectPlan>(std::move(plan)), weight, order_.begin()});
  used_ += weight;
}

void DirectPlans::drop(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(id);
  if (it == slots_.end()) return;
  used_ -= it->second.weight;
  order_.erase(it->second.at);
  slots_.erase(it);
}

void DirectPlans::save(ByteWriter& out) const {
  std::lock_guard lock(mu_);
  out.u64(order_.size());
  for (const auto& id : order_) {
    out.str(id);
    slots_.at(id).plan->save(out);
  }
}

bool DirectPlans::load(ByteReader& in) {
  uint64_t n = 0;
  if (!in.u64(n) || n > kMaxLoadedPlans) return false;
  std::vector<std::pair<std::string, DirectPlan>> loaded(n);
  for (auto& [id, plan] : loaded) {
    if (!in.str(id) || !DirectPlan::load(in, plan)) return false;
  }
  // Least recently used first, so the most recent ends up in front and the budget drops the old.
  for (auto it = loaded.rbegin(); it != loaded.rend(); ++it) {
    if (!find(it->first)) put(it->first, std::move(it->second));
  }
  return true;
}

}  // namespace sccache
