//===- Status.h - Exception-free error reporting for the runtime ----------===//
//
// The runtime never lets an exception cross its public API. Fallible
// functions return `Status` (success or an error message) or `Expected<T>`
// (a value or an error message). Messages are meant to be shown to a user
// verbatim, so they name the file, tensor, and expected vs. actual values.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_RUNTIME_STATUS_H
#define LLM_RUNTIME_STATUS_H

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace llm::runtime {

/// An error: a human-readable message. Construct with `Error(msg)`.
class Error {
public:
  explicit Error(std::string message) : message_(std::move(message)) {}
  const std::string &message() const { return message_; }

private:
  std::string message_;
};

/// Success, or an Error. `Status()` is success.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error error) : ok_(false), message_(error.message()) {}

  static Status success() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  /// Empty for success.
  const std::string &message() const { return message_; }

private:
  bool ok_ = true;
  std::string message_;
};

/// Either a T or an Error.
template <class T> class [[nodiscard]] Expected {
  static_assert(!std::is_same_v<T, Error>, "Expected<Error> is not allowed");

public:
  Expected(T value) : storage_(std::in_place_index<0>, std::move(value)) {}
  Expected(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}
  /// Converting from a failed Status; it is a bug to pass a successful one.
  Expected(const Status &status)
      : storage_(std::in_place_index<1>, Error(status.message())) {
    assert(!status.ok() && "Expected<T> built from a successful Status");
  }

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T &value() & {
    assert(ok());
    return std::get<0>(storage_);
  }
  const T &value() const & {
    assert(ok());
    return std::get<0>(storage_);
  }
  T &&value() && {
    assert(ok());
    return std::get<0>(std::move(storage_));
  }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T &&operator*() && { return std::move(*this).value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  /// The error message; empty when ok().
  const std::string &message() const {
    static const std::string empty;
    return ok() ? empty : std::get<1>(storage_).message();
  }
  /// The error as a Status (success when ok()).
  Status status() const { return ok() ? Status() : Status(std::get<1>(storage_)); }
  Error error() const {
    assert(!ok());
    return std::get<1>(storage_);
  }

private:
  std::variant<T, Error> storage_;
};

} // namespace llm::runtime

#endif // LLM_RUNTIME_STATUS_H
