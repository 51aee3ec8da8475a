#include "protocol/stats.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "util/strings.hpp"

namespace sccache {

void Duration::add_ns(uint64_t ns) {
  uint64_t total = static_cast<uint64_t>(nanos) + ns % 1000000000ULL;
  secs += ns / 1000000000ULL + total / 1000000000ULL;
  nanos = static_cast<uint32_t>(total % 1000000000ULL);
}

namespace {

std::string average(const Duration& d, uint64_t count) {
  if (count == 0) return "0.000 s";
  long double total = static_cast<long double>(d.secs) + static_cast<long double>(d.nanos) / 1e9L;
  long double avg = total / static_cast<long double>(count);
  auto millis = static_cast<uint64_t>(avg * 1000.0L);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llu.%03llu s", static_cast<unsigned long long>(millis / 1000),
                static_cast<unsigned long long>(millis % 1000));
  return buf;
}

uint64_t sum(const std::map<std::string, uint64_t>& m) {
  uint64_t s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

nlohmann::ordered_json counts(const std::map<std::string, uint64_t>& m) {
  nlohmann::ordered_json c = nlohmann::ordered_json::object();
  for (const auto& [k, v] : m) c[k] = v;
  nlohmann::ordered_json j;
  j["counts"] = c;
  return j;
}

nlohmann::ordered_json duration(const Duration& d) {
  nlohmann::ordered_json j;
  j["secs"] = d.secs;
  j["nanos"] = d.nanos;
  return j;
}

}  // namespace

std::string format_stats_text(const ServerInfo& info) {
  const ServerStats& s = info.stats;
  std::vector<std::pair<std::string, std::string>> rows;
  auto add = [&](std::string name, uint64_t v) { rows.emplace_back(std::move(name), std::to_string(v)); };
  auto add_lang = [&](const std::string& name, const std::map<std::string, uint64_t>& m) {
    add(name, sum(m));
    for (const auto& [lang, v] : m) add(name + " (" + lang + ")", v);
  };
  add("Compile requests", s.compile_requests);
  add("Compile requests executed", s.requests_executed);
  add_lang("Cache hits", s.cache_hits);
  for (const auto& [level, v] : s.cache_hits_by_level) add("Cache hits at " + level, v);
  add_lang("Cache misses", s.cache_misses);
  add("Cache timeouts", s.cache_timeouts);
  add("Cache read errors", s.cache_read_errors);
  add("Forced recaches", s.forced_recaches);
  add("Cache write errors", s.cache_write_errors);
  if (s.cache_writes_skipped != 0) add("Cache writes skipped (read-only)", s.cache_writes_skipped);
  add("Compilation failures", s.compile_fails);
  add_lang("Cache errors", s.cache_errors);
  add("Non-cacheable compilations", s.non_cacheable_compilations);
  add("Non-cacheable calls", s.requests_not_cacheable);
  add("Non-compilation calls", s.requests_not_compile);
  add("Unsupported compiler calls", s.requests_unsupported_compiler);
  add("Successful distributed compilations", s.dist_compiles);
  add("Failed distributed compilations", s.dist_errors);
  size_t n_plain = rows.size();
  rows.emplace_back("Average cache write", average(s.cache_write_duration, s.cache_writes));
  uint64_t misses = sum(s.cache_misses);
  uint64_t hits = sum(s.cache_hits);
  rows.emplace_back("Average cache read miss", average(s.cache_read_miss_duration, misses));
  rows.emplace_back("Average cache read hit", average(s.cache_read_hit_duration, hits));

  size_t name_w = 0;
  size_t val_w = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    name_w = std::max(name_w, rows[i].first.size());
    if (i < n_plain) val_w = std::max(val_w, rows[i].second.size());
  }
  std::string out;
  auto line = [&](const std::string& name, const std::string& value, size_t width) {
    std::string padded_name = name + std::string(name_w > name.size() ? name_w - name.size() : 0, ' ');
    std::string padded_value = std::string(width > value.size() ? width - value.size() : 0, ' ') + value;
    out += padded_name + " " + padded_value + "\n";
  };
  for (size_t i = 0; i < rows.size(); ++i) line(rows[i].first, rows[i].second, i < n_plain ? val_w : val_w + 2);
  if (!s.not_cached.empty()) {
    std::vector<std::pair<std::string, uint64_t>> reasons(s.not_cached.begin(), s.not_cached.end());
    std::stable_sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    out += "\nNon-cacheable reasons:\n";
    for (const auto& [reason, count] : reasons) line(reason, std::to_string(count), val_w);
    out += "\n";
  }
  out += "Cache location" + std::string(name_w - 14, ' ') + " " + info.cache_location + "\n";
  if (info.cache_size) out += "Cache size" + std::string(name_w - 10, ' ') + " " + format_binary_size(*info.cache_size) + "\n";
  if (info.max_cache_size) {
    out += "Max cache size" + std::string(name_w - 14, ' ') + " " + format_binary_size(*info.max_cache_size) + "\n";
  }
  return out;
}

std::string format_stats_json(const ServerInfo& info) {
  const ServerStats& s = info.stats;
  nlohmann::ordered_json stats;
  stats["compile_requests"] = s.compile_requests;
  stats["requests_unsupported_compiler"] = s.requests_unsupported_compiler;
  stats["requests_not_compile"] = s.requests_not_compile;
  stats["requests_not_cacheable"] = s.requests_not_cacheable;
  stats["requests_executed"] = s.requests_executed;
  stats["cache_errors"] = counts(s.cache_errors);
  stats["cache_hits"] = counts(s.cache_hits);
  stats["cache_misses"] = counts(s.cache_misses);
  stats["cache_timeouts"] = s.cache_timeouts;
  stats["cache_read_errors"] = s.cache_read_errors;
  stats["non_cacheable_compilations"] = s.non_cacheable_compilations;
  stats["forced_recaches"] = s.forced_recaches;
  stats["cache_write_errors"] = s.cache_write_errors;
  stats["cache_writes"] = s.cache_writes;
  stats["cache_write_duration"] = duration(s.cache_write_duration);
  stats["cache_read_hit_duration"] = duration(s.cache_read_hit_duration);
  stats["cache_read_miss_duration"] = duration(s.cache_read_miss_duration);
  stats["compile_fails"] = s.compile_fails;
  nlohmann::ordered_json nc = nlohmann::ordered_json::object();
  for (const auto& [k, v] : s.not_cached) nc[k] = v;
  stats["not_cached"] = nc;
  nlohmann::ordered_json by_level = nlohmann::ordered_json::object();
  for (const auto& [k, v] : s.cache_hits_by_level) by_level[k] = v;
  stats["cache_hits_by_level"] = by_level;
  stats["dist_compiles"] = s.dist_compiles;
  stats["dist_errors"] = s.dist_errors;
  stats["cache_writes_skipped"] = s.cache_writes_skipped;
  nlohmann::ordered_json root;
  root["stats"] = stats;
  root["cache_location"] = info.cache_location;
  root["cache_size"] = info.cache_size ? nlohmann::ordered_json(*info.cache_size) : nlohmann::ordered_json(nullptr);
  root["max_cache_size"] = info.max_cache_size ? nlohmann::ordered_json(*info.max_cache_size) : nlohmann::ordered_json(nullptr);
  return root.dump();
}

}  // namespace sccache
