#include "compiler/msvc/msvc_args.hpp"

#include <array>

#include "compiler/msvc/msvc_response_files.hpp"
#include "util/fs.hpp"

namespace sccache {

namespace {

using F = MsvcForm;
using R = MsvcRole;

// Names as MSVC spells them (case matters), without the leading `/` or `-`. Joined entries match
// as prefixes, the longest entry wins (as in cl.exe and clang-cl: `/DATA` is `/D ATA`).
constexpr std::array kMsvcTable = {
    MsvcArgSpec{"-", F::flag, R::end_of_options},  // `--`
    MsvcArgSpec{"###", F::flag, R::too_hard},
    MsvcArgSpec{"?", F::flag, R::not_compilation},
    MsvcArgSpec{"AI", F::joined_or_separate, R::too_hard},
    MsvcArgSpec{"D", F::joined_or_separate, R::preprocessor},
    MsvcArgSpec{"E", F::flag, R::not_compilation},
    MsvcArgSpec{"EP", F::flag, R::not_compilation},
    MsvcArgSpec{"FA", F::flag, R::listing},
    MsvcArgSpec{"FA", F::joined, R::too_hard},  // /FAc /FAs /FAu: other listing kinds
    MsvcArgSpec{"FC", F::flag, R::full_paths},
    MsvcArgSpec{"FI", F::joined_or_separate, R::preprocessor},
    MsvcArgSpec{"FR", F::joined, R::too_hard},
    MsvcArgSpec{"FU", F::joined_or_separate, R::too_hard},
    MsvcArgSpec{"Fa", F::joined, R::listing_file},
    MsvcArgSpec{"Fd", F::joined, R::pdb},
    MsvcArgSpec{"Fo", F::joined, R::output},
    MsvcArgSpec{"Fp", F::joined, R::pch_file},
    MsvcArgSpec{"Fr", F::joined, R::too_hard},
    MsvcArgSpec{"Fx", F::flag, R::too_hard},
    MsvcArgSpec{"Gm", F::flag, R::too_hard},
    MsvcArgSpec{"I", F::joined_or_separate, R::preprocessor},
    MsvcArgSpec{"P", F::flag, R::not_compilation},
    MsvcArgSpec{"TC", F::flag, R::lang_all_c},
    MsvcArgSpec{"TP", F::flag, R::lang_all_cpp},
    MsvcArgSpec{"Tc", F::joined_or_separate, R::lang_c_file},
    MsvcArgSpec{"Tp", F::joined_or_separate, R::lang_cpp_file},
    MsvcArgSpec{"U", F::joined_or_separate, R::preprocessor},
    MsvcArgSpec{"X", F::flag, R::preprocessor},
    MsvcArgSpec{"Xclang", F::separate, R::xclang},
    MsvcArgSpec{"Y-", F::flag, R::pch_off},
    MsvcArgSpec{"Yc", F::joined, R::pch_create},
    MsvcArgSpec{"Yu", F::joined, R::pch_use},
    MsvcArgSpec{"Z7", F::flag, R::debug_object},
    MsvcArgSpec{"ZI", F::flag, R::debug_pdb},
    MsvcArgSpec{"Zi", F::flag, R::debug_pdb},
    MsvcArgSpec{"Zs", F::flag, R::too_hard},
    MsvcArgSpec{"analyze", F::flag, R::too_hard},
    MsvcArgSpec{"analyze-", F::flag, R::other},
    MsvcArgSpec{"analyze:", F::joined, R::too_hard},
    MsvcArgSpec{"c", F::flag, R::compile},
    MsvcArgSpec{"clang:", F::joined, R::clang_option},
    MsvcArgSpec{"clr", F::joined, R::too_hard},
    MsvcArgSpec{"deps", F::joined, R::deps_file},
    MsvcArgSpec{"doc", F::joined, R::too_hard},
    MsvcArgSpec{"exportHeader", F::flag, R::too_hard},
    MsvcArgSpec{"external:I", F::joined_or_separate, R::preprocessor},
    MsvcArgSpec{"external:env:", F::joined, R::external_env},
    MsvcArgSpec{"fsyntax-only", F::flag, R::too_hard},
    MsvcArgSpec{"headerUnit", F::joined_or_separate, R::too_hard},
    MsvcArgSpec{"help", F::flag, R::not_compilation},
    MsvcArgSpec{"ifcOutput", F::joined_or_separate, R::too_hard},
    MsvcArgSpec{"ifcSearchDir", F::joined_or_separate, R::too_hard},
    MsvcArgSpec{"imsvc", F::joined_or_separate, R::preprocessor},
    MsvcArgSpec{"interface", F::flag, R::too_hard},
    MsvcArgSpec{"link", F::flag, R::link},
    MsvcArgSpec{"o", F::joined_or_separate, R::output},
    MsvcArgSpec{"openmp", F::joined, R::other},
    MsvcArgSpec{"options:strict", F::flag, R::other},
    MsvcArgSpec{"reference", F::joined_or_separate, R::too_hard},
    MsvcArgSpec{"scanDependencies", F::joined_or_separate, R::too_hard},
    MsvcArgSpec{"showIncludes", F::flag, R::show_includes},
    MsvcArgSpec{"showIncludes:user", F::flag, R::too_hard},
    MsvcArgSpec{"sourceDependencies", F::joined_or_separate, R::source_deps},
    MsvcArgSpec{"sourceDependencies:directives", F::joined_or_separate, R::too_hard},
    MsvcArgSpec{"translateInclude", F::flag, R::too_hard},
    MsvcArgSpec{"vctoolsdir", F::joined_or_separate, R::preprocessor},
    MsvcArgSpec{"vctoolsversion", F::joined_or_separate, R::preprocessor},
    MsvcArgSpec{"winsdkdir", F::joined_or_separate, R::preprocessor},
    MsvcArgSpec{"winsdkversion", F::joined_or_separate, R::preprocessor},
    MsvcArgSpec{"winsysroot", F::joined_or_separate, R::preprocessor},
};

bool is_path_separator(char c) { return c == '/' || c == '\\'; }

}  // namespace

std::span<const MsvcArgSpec> msvc_arg_table() { return kMsvcTable; }

const MsvcArgSpec* find_msvc_arg_spec(std::string_view arg) {
  if (arg.size() < 2 || (arg[0] != '/' && arg[0] != '-')) return nullptr;
  std::string_view name = arg.substr(1);
  const MsvcArgSpec* best = nullptr;
  for (const auto& spec : kMsvcTable) {
    bool match = spec.form == F::flag || spec.form == F::separate ? name == spec.name : name.starts_with(spec.name);
    if (match && (best == nullptr || spec.name.size() > best->name.size())) best = &spec;
  }
  return best;
}

std::string_view msvc_file_part(std::string_view path) {
  size_t cut = path.find_last_of("/\\");
  return cut == std::string_view::npos ? path : path.substr(cut + 1);
}

std::string msvc_with_extension(std::string_view path, std::string_view ext) {
  std::string_view name = msvc_file_part(path);
  size_t dot = name.find_last_of('.');
  std::string_view stem = dot == std::string_view::npos ? path : path.substr(0, path.size() - name.size() + dot);
  return std::string(stem) + std::string(ext);
}

std::string msvc_with_default_extension(std::string_view path, std::string_view ext) {
  if (msvc_file_part(path).find('.') != std::string_view::npos) return std::string(path);
  return std::string(path) + std::string(ext);
}

std::string msvc_object_name(const std::string& input, const std::string& fo, std::string_view ext) {
  std::string own = msvc_with_extension(msvc_file_part(input), ext);
  if (fo.empty()) return own;
  if (is_path_separator(fo.back())) return fo + own;
  return msvc_with_default_extension(fo, ext);
}

const std::vector<std::string_view>& msvc_key_env_vars() {
  // CL and _CL_ add options to every cl.exe and clang-cl command line; INCLUDE and
  // EXTERNAL_INCLUDE add include directories; VSLANG chooses the language of /showIncludes; the
  // Visual Studio and SDK variables tell clang-cl where the system headers are (without INCLUDE).
  static const std::vector<std::string_view> vars = {
      "CL", "_CL_", "INCLUDE", "EXTERNAL_INCLUDE", "VSLANG", "SOURCE_DATE_EPOCH", "CCC_OVERRIDE_OPTIONS",
      "VCToolsInstallDir", "VCINSTALLDIR", "VSINSTALLDIR", "WindowsSdkDir", "WindowsSDKVersion", "WindowsSdkVersion",
      "UniversalCRTSdkDir", "UCRTVersion"};
  return vars;
}

}  // namespace sccache
