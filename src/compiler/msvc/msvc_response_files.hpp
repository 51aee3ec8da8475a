#pragma once
// `@file` response files of MSVC command lines: the Windows quoting rules (those of
// CommandLineToArgvW and of clang-cl's tokenizer) and the encodings Windows tools write.
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"

namespace sccache {

// Splits text into arguments: whitespace (space, tab, CR, LF) separates; `"` toggles quoting and
// `""` inside quotes is one literal quote; 2n backslashes before `"` are n backslashes (the quote
// then toggles), 2n+1 are n backslashes and a literal quote; other backslashes are literal.
std::vector<std::string> split_windows_command_line(std::string_view text);

// The text of a response file as UTF-8: a UTF-16LE file (with its byte-order mark, as
// Visual Studio's tools write them) is converted, a UTF-8 byte-order mark dropped. Error for a
// UTF-16 file that is not well formed.
Expected<std::string> decode_response_file(std::string_view bytes);

// Expands every `@file` argument (relative to cwd, recursively). Error names the file; a
// response file holding /link is refused (its options end at that line's end).
Expected<std::vector<std::string>> expand_msvc_response_files(const std::vector<std::string>& args,
                                                              const std::string& cwd);

}  // namespace sccache
