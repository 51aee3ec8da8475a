#pragma once
// Expected<T>: a value or an Error, the way recoverable failures cross module boundaries.
// (std::expected is C++23; this is the small subset the project needs.)
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sccache {

struct Error {
  std::string message;
  int code = 0;  // optional machine-readable kind, meaning defined by the module that sets it
};

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T val) : v_(std::in_place_index<0>, std::move(val)) {}  // NOLINT(google-explicit-constructor)
  Expected(Error err) : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Expected<Ok>;

inline Error make_error(std::string message, int code = 0) { return Error{std::move(message), code}; }

}  // namespace sccache

// Propagates an Error out of the enclosing function returning Expected<...>.
#define SCCACHE_TRY(var, expr)                               \
  auto var##_result_ = (expr);                               \
  if (!var##_result_) return var##_result_.error();          \
  auto var = std::move(var##_result_).value()

#define SCCACHE_TRY_STATUS(expr)                             \
  do {                                                       \
    auto status_result_ = (expr);                            \
    if (!status_result_) return status_result_.error();      \
  } while (false)
