#include "cache/guarded_storage.hpp"

#include <spdlog/spdlog.h>

namespace sccache {

GuardedStorage::GuardedStorage(std::unique_ptr<Storage> inner, Backoff backoff, Clock clock)
    : inner_(std::move(inner)), backoff_(backoff), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

std::optional<Error> GuardedStorage::refuse() {
  std::lock_guard lock(mu_);
  if (!down_) return std::nullopt;
  auto now = clock_();
  if (now >= retry_at_ && !probing_) {
    probing_ = true;  // this caller probes; the others keep failing fast until it reports
    return std::nullopt;
  }
  ++failures_in_burst_;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - now);
  return storage_error(StorageFailure::unavailable, inner_->location() + " is marked down after: " + last_reason_ +
                                                        " (next try in " +
                                                        std::to_string(std::max<int64_t>(0, left.count())) + " ms)");
}

void GuardedStorage::record(bool ok, const Error* error) {
  std::lock_guard lock(mu_);
  if (ok) {
    if (down_ || failures_in_burst_ > 0) {
      spdlog::warn("{}: reachable again after {} failed operation(s)", inner_->location(), failures_in_burst_);
    }
    down_ = false;
    probing_ = false;
    window_ = std::chrono::milliseconds{0};
    failures_in_burst_ = 0;
    return;
  }
  ++failures_in_burst_;
  last_reason_ = error->message;
  if (!down_) {
    spdlog::warn("{}: {}; cache lookups count as misses and writes are skipped while it is down (retry in {} ms)",
                 inner_->location(), error->message, backoff_.initial.count());
    window_ = backoff_.initial;
  } else {
    spdlog::debug("{}: probe failed: {}", inner_->location(), error->message);
    window_ = std::min(window_ * 2, backoff_.max);
  }
  down_ = true;
  probing_ = false;
  retry_at_ = clock_() + window_;
}

Expected<std::optional<std::string>> GuardedStorage::get(const std::string& key) {
  if (auto refused = refuse()) return *refused;
  auto got = inner_->get(key);
  record(got.has_value(), got ? nullptr : &got.error());
  return got;
}

Status GuardedStorage::put(const std::string& key, const std::string& bytes) {
  if (auto refused = refuse()) return *refused;
  auto st = inner_->put(key, bytes);
  // A refused item says the backend is up: it answered.
  record(st.has_value() || storage_failure(st.error()) == StorageFailure::item_rejected, st ? nullptr : &st.error());
  return st;
}

void GuardedStorage::remove(const std::string& key) {
  if (!is_down()) inner_->remove(key);  // best effort: its outcome does not move the breaker
}

std::optional<uint64_t> GuardedStorage::current_size() const {
  if (is_down()) return std::nullopt;
  return inner_->current_size();
}

std::optional<uint64_t> GuardedStorage::max_size() const {
  if (is_down()) return std::nullopt;
  return inner_->max_size();
}

bool GuardedStorage::is_down() const {
  std::lock_guard lock(mu_);
  return down_;
}

}  // namespace sccache
