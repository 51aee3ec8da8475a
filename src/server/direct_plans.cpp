#include "server/direct_plans.hpp"

namespace sccache {

size_t DirectPlan::weight() const {
  constexpr size_t kPerItem = 64;  // the pair, its string's header, the allocator's share
  size_t n = result_key.size() + kPerItem;
  for (const auto& f : files) n += f.first.size() + kPerItem;
  for (const auto& a : ancestors) n += a.first.size() + kPerItem;
  for (const auto& e : existing) n += e.first.size() + kPerItem;
  return n;
}

bool DirectPlan::still_holds() const {
  for (const auto& [path, st] : files) {
    if (stat_file(path) != st) return false;
  }
  for (const auto& [path, st] : ancestors) {
    if (stat_file(path) != st) return false;
  }
  for (const auto& [path, mtime] : existing) {
    auto st = stat_file(path);
    if (!st || st->mtime_ns != mtime) return false;
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
  const size_t weight = plan.weight();
  if (weight > budget_) return;
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

}  // namespace sccache
