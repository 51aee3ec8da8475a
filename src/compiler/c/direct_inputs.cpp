// Direct mode for the C family: what a manifest entry must check so that a later lookup can name
// the result without running the preprocessor (the lookup itself is the server's, over any job).
#include <algorithm>
#include <set>

#include "compiler/c/c_compile_job.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache {

namespace {

// A file or path changed this close to the preprocessor run may have changed during it.
constexpr int64_t kSettleNs = 2'000'000'000;

// Every path where a new file would shadow one the preprocessor read: the same relative name in
// an earlier search directory, or in a directory of a file that includes with quotes. With
// `includer_stack` (MSVC) a quote include also searches the directory of every file up the
// include stack, so a file under any of those directories is a name in all of them.
std::set<std::string> shadowing_candidates(const std::vector<std::string>& files, const std::vector<std::string>& search,
                                           const std::vector<std::string>& user_dirs, bool includer_stack) {
  std::set<std::string> candidates;
  auto under = [](const std::string& f, const std::string& d) {
    return f.size() > d.size() + 1 && f.compare(0, d.size(), d) == 0 && f[d.size()] == '/';
  };
  for (const auto& f : files) {
    for (size_t k = 0; k < search.size(); ++k) {
      const std::string& d = search[k];
      if (!under(f, d)) continue;
      std::string rel = f.substr(d.size() + 1);
      for (size_t j = 0; j < k; ++j) candidates.insert(join_path(search[j], rel));
      for (const auto& u : user_dirs) candidates.insert(join_path(u, rel));
      break;
    }
    if (!includer_stack) continue;
    for (const auto& d : user_dirs) {
      if (!under(f, d)) continue;
      for (const auto& u : user_dirs) candidates.insert(join_path(u, f.substr(d.size() + 1)));
    }
  }
  for (const auto& f : files) candidates.erase(f);
  return candidates;
}

bool installed(const std::string& path) { return path.rfind("/usr/", 0) == 0; }

// Every path a `__has_include` of `name` may look at: each search directory and each directory
// searched for quote includes (both forms, to be safe); an absolute name is itself.
void add_tested_paths(const std::string& name, const std::vector<std::string>& search,
                      const std::vector<std::string>& user_dirs, std::set<std::string>& out) {
  if (!name.empty() && name[0] == '/') {
    out.insert(name);
    return;
  }
  for (const auto& d : search) out.insert(join_path(d, name));
  for (const auto& u : user_dirs) out.insert(join_path(u, name));
}

// Why a file cannot be recorded (nullptr: it can): a manifest checks contents, and these depend
// on more (the clock, a header tested for by a name not written out); installed headers under
// /usr are trusted not to change what they test for.
const char* unrecordable(const std::optional<FileDigest>& d, const std::string& path, int64_t limit) {
  if (!d) return "unreadable";
  if (d->has_time_macros) return "using __DATE__/__TIME__";
  if (d->opaque_include_test && !installed(path)) return "using __has_include with a macro";
  if (d->too_new || d->mtime_ns >= limit || d->ctime_ns >= limit) return "too new";
  return nullptr;
}

}  // namespace

std::optional<RecordedInputs> c_recorded_inputs(const std::string& input, const KeyOutcome& key, FileDigests& digests) {
  const int64_t limit = key.started_ns - kSettleNs;
  RecordedInputs out;
  std::vector<std::string> files = key.include_files;
  if (std::find(files.begin(), files.end(), input) == files.end()) files.push_back(input);
  // Quote includes search the including file's directory first. Directories of installed
  // headers (/usr/...) are left out: they hold system headers that include with <...>.
  std::vector<std::string> user_dirs;
  std::vector<std::string> tested;  // header names tested by __has_include in files not installed
  for (const auto& f : files) {
    auto d = digests.digest(f);
    if (const char* why = unrecordable(d, f, limit)) {
      spdlog::debug("direct mode: not recording, {} is {}", f, why);
      return std::nullopt;
    }
    out.files.emplace_back(f, d->digest);
    if (!installed(f)) tested.insert(tested.end(), d->tested_headers.begin(), d->tested_headers.end());
    std::string dir = dirname_of(f);
    if (!installed(dir) && std::find(user_dirs.begin(), user_dirs.end(), dir) == user_dirs.end()) {
      user_dirs.push_back(dir);
    }
  }
  for (const auto& d : key.first_dirs) {
    if (std::find(user_dirs.begin(), user_dirs.end(), d) == user_dirs.end()) user_dirs.push_back(d);
  }
  // A search directory that does not exist yet: recorded absent, its creation changes the search.
  for (const auto& m : key.missing_dirs) {
    auto st = stat_file(m);
    if (st && (st->mtime_ns >= limit || st->ctime_ns >= limit)) return std::nullopt;
    out.paths.emplace_back(m, st ? st->mtime_ns : -1);
  }
  auto candidates = shadowing_candidates(files, key.search_dirs, user_dirs, key.includer_stack_search);
  // Where a tested header is, or is not, decides the result as much as any included file does.
  for (const auto& name : tested) add_tested_paths(name, key.search_dirs, user_dirs, candidates);
  for (const auto& f : files) candidates.erase(f);
  for (const auto& c : candidates) {
    auto st = stat_file(c);
    if (st && (st->mtime_ns >= limit || st->ctime_ns >= limit)) {
      spdlog::debug("direct mode: not recording, {} changed moments ago", c);
      return std::nullopt;
    }
    out.paths.emplace_back(c, st ? st->mtime_ns : -1);
  }
  return out;
}

}  // namespace sccache
