#pragma once
// A C-family miss on a sccache-dist build server: which compiles may go, and the command the
// build server runs on the preprocessed text.
#include <optional>
#include <string>
#include <vector>

#include "compiler/c/c_dialect.hpp"
#include "compiler/c/gcc_args.hpp"

namespace sccache {

// Why this compile must not run on a build server as preprocessed text (nullopt = it may).
std::optional<std::string> c_dist_refusal(const CDialect& dialect, const CArguments& job);
// The build server's arguments (SPEC 7.8): `-x <input_language> -c <input> -o <output>` and every
// argument but the input, outputs, -x and those only the preprocessor reads (-D, -I, -include,
// -M*, -Wp, ...).
std::vector<std::string> dist_compile_args(const CArguments& job, const std::string& input_language);
// The -x language of the preprocessed text of a `language` source.
std::string preprocessed_language(const std::string& language);

}  // namespace sccache
