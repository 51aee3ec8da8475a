#include "distributed/client/client_toolchains.hpp"

#include <sys/stat.h>
#include <utime.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/log.hpp"

namespace sccache::dist {

ClientToolchains::ClientToolchains(std::string dir, uint64_t max_size, std::vector<DistToolchainConfig> overrides)
    : dir_(std::move(dir)), max_size_(max_size), overrides_(std::move(overrides)) {}

uint64_t ClientToolchains::packaged() const {
  std::lock_guard lock(mu_);
  return packaged_;
}

const DistToolchainConfig* ClientToolchains::override_for(const std::string& compiler) const {
  auto real = real_path(compiler);
  for (const auto& o : overrides_) {
    if (o.compiler_executable == compiler) return &o;
  }
  for (const auto& o : overrides_) {
    auto other = real_path(o.compiler_executable);
    if (real && other && *real == *other) return &o;
  }
  return nullptr;
}

std::string ClientToolchains::archive_path(const std::string& id) const {
  return dir_ + "/tc/" + id.substr(0, 1) + "/" + id.substr(1, 1) + "/" + id;
}

void ClientToolchains::load_weak_map_locked() {
  if (loaded_) return;
  loaded_ = true;
  auto text = read_file(dir_ + "/weak_map.json");
  if (!text) return;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) {
    spdlog::warn("dist: ignoring unreadable {}/weak_map.json", dir_);
    return;
  }
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) weak_map_[k] = v.get<std::string>();
  }
}

void ClientToolchains::save_weak_map_locked() {
  nlohmann::json j = weak_map_;
  if (auto st = write_file_atomic(dir_ + "/weak_map.json", j.dump(1), 0644); !st) {
    spdlog::warn("dist: cannot save the toolchain map: {}", st.error().message);
  }
}

// Oldest archives (by mtime) go first until the total is under max_size; `keep` stays.
void ClientToolchains::evict_locked(const std::string& keep) {
  struct Item {
    std::string path;
    uint64_t size;
    int64_t mtime;
  };
  std::vector<Item> items;
  uint64_t total = 0;
  auto level1 = list_dir(dir_ + "/tc");
  if (!level1) return;
  for (const auto& a : *level1) {
    auto level2 = list_dir(dir_ + "/tc/" + a);
    if (!level2) continue;
    for (const auto& b : *level2) {
      std::string d = dir_ + "/tc/" + a + "/" + b;
      auto files = list_dir(d);
      if (!files) continue;
      for (const auto& f : *files) {
        std::string p = d + "/" + f;
        if (auto st = stat_file(p)) {
          items.push_back({p, st->size, st->mtime_ns});
          total += st->size;
        }
      }
    }
  }
  std::sort(items.begin(), items.end(), [](const Item& x, const Item& y) { return x.mtime < y.mtime; });
  for (const auto& it : items) {
    if (total <= max_size_) break;
    if (it.path == keep) continue;
    if (::unlink(it.path.c_str()) == 0) {
      total -= it.size;
      spdlog::info("dist: evicted toolchain {}", it.path);
    }
  }
}

Expected<ResolvedToolchain> ClientToolchains::resolve(const std::string& compiler, const std::string& identity,
                                                      ToolchainFlavor flavor) {
  if (const auto* o = override_for(compiler)) {
    if (o->type == "no_dist") return Error{"dist.toolchains says no_dist for " + compiler, kNoDist};
    auto st = stat_file(o->archive);
    if (!st) return make_error("dist.toolchains archive `" + o->archive + "` is missing");
    std::lock_guard lock(mu_);
    auto& d = override_ids_[o->archive];
    if (d.id.empty() || d.size != st->size || d.mtime_ns != st->mtime_ns) {
      SCCACHE_TRY(id, sha256_file_hex(o->archive));
      d = {st->size, st->mtime_ns, id};
    }
    return ResolvedToolchain{d.id, o->archive, o->archive_compiler_executable};
  }
  Hasher h;
  h.update_field("sccache-dist-toolchain/1");
  h.update_field(compiler);
  h.update_field(identity);
  h.update_field(flavor == ToolchainFlavor::clang ? "clang" : flavor == ToolchainFlavor::rust ? "rust" : "gcc");
  const std::string weak = h.finish_hex();
  std::lock_guard lock(mu_);
  load_weak_map_locked();
  if (auto it = weak_map_.find(weak); it != weak_map_.end()) {
    std::string path = archive_path(it->second);
    if (stat_file(path)) {
      ::utime(path.c_str(), nullptr);  // most recently used
      return ResolvedToolchain{it->second, path, compiler};
    }
  }
  auto start = std::chrono::steady_clock::now();
  if (auto f = failures_.find(weak); f != failures_.end()) {
    if (start - f->second.first < std::chrono::minutes(1)) return f->second.second;
    failures_.erase(f);
  }
  auto packed = package_toolchain(compiler, flavor);
  if (!packed) {
    failures_.emplace(weak, std::make_pair(start, packed.error()));
    return packed.error();
  }
  std::string archive = std::move(*packed);
  std::string id = sha256_hex(archive);
  std::string path = archive_path(id);
  SCCACHE_TRY_STATUS(make_dirs(dirname_of(path)));
  SCCACHE_TRY_STATUS(write_file_atomic(path, archive, 0644));
  ++packaged_;
  weak_map_[weak] = id;
  save_weak_map_locked();
  evict_locked(path);
  spdlog::info("dist: packaged {} as {} ({} bytes, {} ms)", compiler, id, archive.size(),
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
  return ResolvedToolchain{id, path, compiler};
}

}  // namespace sccache::dist
