#pragma once
// `/showIncludes` notes ("Note: including file: <path>", in the compiler's own language): the
// prefix detection of SPEC 4.6, reading the notes, and the make-style dependency file sccache
// writes for `-deps<file>` from them (the format of sccache's msvc.rs).
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sccache {

// The probe the prefix is detected with: a source that includes one empty header.
constexpr std::string_view kIncludesProbeSource = "sccache_includes_probe.c";
constexpr std::string_view kIncludesProbeHeader = "sccache_includes_probe.h";

// The note prefix (up to and including the space before the path) from the output of a
// `/showIncludes` run of the probe: the line that ends in the probe header's name, scanned
// right to left for a space after which the rest names an existing file (`exists`). nullopt if
// there is no such line.
std::optional<std::string> show_includes_prefix_from(std::string_view output,
                                                     const std::function<bool(const std::string&)>& exists);

// Whether a line (without its line end) is a note.
bool is_include_note(std::string_view line, std::string_view prefix);
// The paths the notes of `text` name, in order, leading whitespace (the nesting depth) removed.
std::vector<std::string> include_note_paths(std::string_view text, std::string_view prefix);

// `object: input dep dep \n` then `input:` and one `dep:` line per sorted dep, deduplicated;
// paths holding a space are left out, as sccache 0.2.10 writes them.
std::string make_style_deps(const std::string& object, const std::string& input, const std::vector<std::string>& deps);

}  // namespace sccache
