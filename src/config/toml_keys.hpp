#pragma once
// The one rule every TOML config file here follows: unknown keys are errors naming the key.
#include <set>
#include <string>
#include <toml++/toml.h>

#include "util/expected.hpp"

namespace sccache {

// Error for the first key of `table` not in `allowed`: "unknown configuration key `<where><key>`".
Status check_keys(const toml::table& table, const std::string& where, const std::set<std::string>& allowed);

}  // namespace sccache
