#pragma once
// The seam between the server's one compile pipeline and a compiler family. A `Compiler` (made
// by a row of the registry, compiler/registry.hpp) parses an invocation into a `CompileJob`, and
// the server drives the job through the same steps for every family:
//
//   direct_key?  -> compute_key -> replay (hit) | compile_command or dist_plan (miss) -> collect
//
// The job never touches storage, statistics or the client: it says what to hash, what to run,
// which files it writes and where a stored result's files go.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "compiler/compiler.hpp"
#include "util/expected.hpp"
#include "util/process.hpp"

namespace sccache {

// Content digests of the files a job reads, remembered across requests by the server.
struct FileDigest {
  std::string digest;        // hex SHA-256
  bool has_time_macros;      // uses __DATE__/__TIME__/__TIMESTAMP__
  bool too_new;              // modified moments ago: unsafe to record
  int64_t mtime_ns;
  int64_t ctime_ns;
  // Header names the file tests with __has_include("x") / <x> (and _next): where each would be
  // found decides too, present or absent. `opaque_include_test`: a test whose name is not
  // literal (a macro), so the paths it looks at cannot be known.
  std::vector<std::string> tested_headers;
  bool opaque_include_test = false;
};

class FileDigests {
 public:
  virtual ~FileDigests() = default;
  // nullopt if the file cannot be read or is not a regular file.
  virtual std::optional<FileDigest> digest(const std::string& path) = 0;
};

// What the server lends a job while it computes its key: a process runner that holds one of the
// server's compile slots per process and is cancelled when the client hangs up, and the digests.
struct JobServices {
  ProcessRunner& runner;
  FileDigests& digests;
};

struct KeyResult {
  std::optional<std::string> key;  // set on success
  std::string error;               // otherwise: why there is none (the compile then runs uncached)
  bool not_cacheable = false;      // with `error`: the input itself defeats the key (not a failure)
};

// A direct-mode manifest entry's checks: every file by content, and every path where a new file
// would change what the compile reads (mtime, or -1 for "absent").
struct RecordedInputs {
  std::vector<std::pair<std::string, std::string>> files;  // path, digest
  std::vector<std::pair<std::string, int64_t>> paths;      // path, mtime_ns
};

// What a cache entry holds for a job, in the job's own words (member names are the job's).
struct StoredFile {
  std::string name;
  std::string data;
};
struct StoredResult {
  std::string stdout_data;
  std::string stderr_data;
  std::vector<StoredFile> files;
};

// A stored result placed for this job: each file's absolute path and bytes, and the output to
// replay.
struct Replay {
  std::vector<std::pair<std::string, std::string>> writes;  // absolute path, data
  std::string stdout_data;
  std::string stderr_data;
};

// A miss compiled on a sccache-dist build server (SPEC 7.3, 7.8).
struct DistInput {
  std::string path;  // absolute, where the build server puts it
  std::string data;
  uint32_t mode = 0644;
};
struct DistPlan {
  std::string toolchain_compiler;   // the binary whose toolchain is packaged
  std::string toolchain_identity;   // its identity (the toolchain archive is cached by it)
  std::string toolchain_flavor;     // how it is packaged: "gcc", "clang", "rust"
  std::vector<std::string> arguments;
  std::vector<DistInput> inputs;
  std::vector<std::string> outputs;  // as the job names them (relative to the cwd or absolute)
  // The remote compile printed something: compile locally, whose diagnostics are the exact ones.
  bool local_if_output = false;
};

class CompileJob {
 public:
  virtual ~CompileJob() = default;
  // The statistics' language ("C/C++", "Rust"), and the compile's name in logs ("a.c", "crate x")
  // and in a fatal error's `[tag]`.
  [[nodiscard]] virtual std::string_view stats_language() const = 0;
  [[nodiscard]] virtual std::string describe() const = 0;
  [[nodiscard]] virtual std::string error_tag() const = 0;
  // How the client treats escape sequences in the replies.
  [[nodiscard]] virtual ColorMode color() const = 0;
  // Absolute paths of the files a compile writes (checked to be regular files before caching).
  [[nodiscard]] virtual std::vector<std::string> output_paths() const = 0;
  // The mode the compiler itself would leave on an output file it writes now.
  [[nodiscard]] virtual mode_t output_mode(const std::string& path, mode_t umask) const = 0;

  // Direct mode: a key computed without running anything, naming a manifest of results; nullopt
  // when this job cannot be looked up that way.
  virtual std::optional<std::string> direct_key(FileDigests& digests) {
    (void)digests;
    return std::nullopt;
  }
  // The result key. `record_inputs`: also learn what recorded_inputs() needs; `for_dist`: keep
  // what dist_plan() needs.
  virtual KeyResult compute_key(JobServices& services, bool record_inputs, bool for_dist) = 0;
  // After compute_key(record_inputs): the checks of a manifest entry (nullopt: do not record,
  // e.g. a file changed moments ago).
  virtual std::optional<RecordedInputs> recorded_inputs(FileDigests& digests) const {
    (void)digests;
    return std::nullopt;
  }

  // A hit: where a stored result's files go (nullopt: it does not fit this job, so a miss).
  [[nodiscard]] virtual std::optional<Replay> replay(StoredResult&& stored) const = 0;

  // A miss: the user's own command (plus what the job adds), run locally.
  [[nodiscard]] virtual ProcessSpec compile_command() const = 0;
  // Called just before the compile runs (e.g. to tell optional outputs it writes from old ones).
  virtual void before_compile() {}
  // After a successful compile: what to store (error: an expected output is missing).
  [[nodiscard]] virtual Expected<StoredResult> collect(const ProcessResult& result) const = 0;

  // Why this compile stays local (nullopt: it may go to a build server); asked before the key.
  [[nodiscard]] virtual std::optional<std::string> dist_refusal() const = 0;
  // After compute_key(for_dist): what the build server runs (error: stays local, and why).
  virtual Expected<DistPlan> dist_plan() = 0;
};

using ParseResult = std::variant<std::unique_ptr<CompileJob>, NotCacheable, NotCompilation>;

// One detected compiler: its identity and how it reads a command line.
class Compiler {
 public:
  virtual ~Compiler() = default;
  [[nodiscard]] virtual std::string_view family() const = 0;  // "gcc", "clang", "rustc"
  [[nodiscard]] virtual const std::string& path() const = 0;
  [[nodiscard]] virtual ParseResult parse(const Invocation& inv) const = 0;
};

}  // namespace sccache
