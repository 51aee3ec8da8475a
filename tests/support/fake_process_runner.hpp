#pragma once
// A ProcessRunner that runs nothing: each call is matched against scripted rules, in order, and
// the first that fits answers (and may write files, as a compiler would). Every call is kept, so
// a test can assert what ran. A call no rule fits is an error (so an unexpected process fails
// the test loudly instead of running).
#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "util/process.hpp"

namespace sccache::testing {

class FakeProcessRunner final : public ProcessRunner {
 public:
  using Match = std::function<bool(const ProcessSpec&)>;
  using Act = std::function<ProcessResult(const ProcessSpec&)>;

  void on(Match match, Act act) {
    std::lock_guard lock(mu_);
    rules_.push_back({std::move(match), std::move(act)});
  }

  Expected<ProcessResult> run(const ProcessSpec& spec) override {
    std::lock_guard lock(mu_);
    calls_.push_back(spec);
    for (const auto& rule : rules_) {
      if (rule.match(spec)) return rule.act(spec);
    }
    std::string argv;
    for (const auto& a : spec.argv) argv += " " + a;
    return make_error("FakeProcessRunner: no rule for" + argv);
  }

  std::vector<ProcessSpec> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  // How many calls `match` fits.
  size_t count(const Match& match) const {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count_if(calls_.begin(), calls_.end(), match));
  }

 private:
  struct Rule {
    Match match;
    Act act;
  };
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  std::vector<ProcessSpec> calls_;
};

// Matchers and results for the rules.
inline bool has_arg(const ProcessSpec& spec, const std::string& arg) {
  return std::find(spec.argv.begin() + 1, spec.argv.end(), arg) != spec.argv.end();
}
inline ProcessResult exited(int code, std::string out = "", std::string err = "") {
  ProcessResult r;
  r.exit_code = code;
  r.stdout_data = std::move(out);
  r.stderr_data = std::move(err);
  return r;
}

}  // namespace sccache::testing
