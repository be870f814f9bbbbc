// Errors as values: decoders and cores return Result<T> or Status, never throw across layers. This
// is the public API's error type too: an error's kind (Errc) is what an embedding application
// branches on, its message is for people.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace agora {

enum class Errc {
  invalid_input,  // malformed bytes or text from outside
  truncated,      // input ended early; more bytes may complete it
  too_large,      // over a named limit
  unsupported,    // well-formed but not something we speak
  crypto,         // bad signature, failed decryption, wrong key
  peer_mismatch,  // remote is not the peer we expected
  protocol,       // remote broke the protocol's rules
  limit,          // a resource limit refused the operation
  closed,         // the stream or connection is gone
  timeout,
  io,  // operating system error
  not_found,
  exists,
  cancelled,  // stopped on request (the client went away, or agora ops cancel)
  internal,
};

const char* errc_name(Errc code);

struct Error {
  Errc code;
  std::string message;
  std::string to_string() const { return std::string(errc_name(code)) + ": " + message; }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

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
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_{Errc::internal, {}};
  bool ok_ = true;
};

using Status = Result<void>;

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace agora

// Propagate an error from an expression returning Result/Status.
#define AGORA_TRY(expr)                                  \
  do {                                                   \
    auto agora_try_r_ = (expr);                          \
    if (!agora_try_r_.ok()) return agora_try_r_.error(); \
  } while (0)

// The same inside a coroutine.
#define AGORA_CO_TRY(expr)                                  \
  do {                                                      \
    auto agora_try_r_ = (expr);                             \
    if (!agora_try_r_.ok()) co_return agora_try_r_.error(); \
  } while (0)

#define AGORA_CONCAT_INNER(a, b) a##b
#define AGORA_CONCAT(a, b) AGORA_CONCAT_INNER(a, b)
// AGORA_ASSIGN(auto x, expr): unwrap a Result or return its error.
#define AGORA_ASSIGN(decl, expr) AGORA_ASSIGN_IMPL(AGORA_CONCAT(agora_r_, __LINE__), decl, expr)
#define AGORA_ASSIGN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                       \
  if (!tmp.ok()) return tmp.error();       \
  decl = std::move(tmp).value()
