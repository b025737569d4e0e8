// The project's error-as-value types. They live in vtps::crypto, the lowest layer, so that every
// component (crypto, dataplane, appliance) shares one vocabulary for fallible operations.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace vtps {

// An error an operation returned: a message that names the operation, the object and the cause.
struct Error {
  std::string message;
};

// Either a T or an Error. Accessing the wrong alternative is a programming error (asserted).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  const std::string& message() const { return error().message; }

 private:
  std::variant<T, Error> v_;
};

// Success or an Error, for operations with nothing to return.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  static Status success() { return {}; }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }
  const std::string& message() const { return error_.message; }

 private:
  Error error_;
  bool ok_ = true;
};

inline Error makeError(std::string message) {
  return Error{std::move(message)};
}

}  // namespace vtps

// Propagates a failed Status/Result from the enclosing function.
#define VTPS_RETURN_IF_ERROR(expr)                \
  do {                                            \
    auto&& vtps_status_ = (expr);                 \
    if (!vtps_status_.ok()) {                     \
      return ::vtps::Error{vtps_status_.error()}; \
    }                                             \
  } while (false)
