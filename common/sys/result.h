// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Recoverable errors as values: a negative errno plus the operation that failed, so a message
// can say "pidfd_open(1234): No such process" without exceptions (the preload has none).
#pragma once

#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace tld {

struct Error {
	int code = 0;          // positive errno
	const char *what = ""; // the operation, a string literal

	std::string message() const { return std::string(what) + ": " + std::strerror(code); }
	int negative() const { return -code; }
};

// Builds an Error from errno or from a negative return value.
inline Error error_from_errno(const char *what, int err)
{
	return Error{err < 0 ? -err : err, what};
}

template <typename T> class [[nodiscard]] Result {
public:
	Result(T value) : v_(std::move(value)) {}
	Result(Error err) : v_(err) {}

	bool ok() const { return v_.index() == 0; }
	explicit operator bool() const { return ok(); }
	T &value() & { return std::get<0>(v_); }
	T &&value() && { return std::get<0>(std::move(v_)); }
	const T &value() const & { return std::get<0>(v_); }
	T *operator->() { return &value(); }
	T &operator*() & { return value(); }
	const Error &error() const { return std::get<1>(v_); }

private:
	std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
	Result() = default;
	Result(Error err) : err_(err), ok_(false) {}

	bool ok() const { return ok_; }
	explicit operator bool() const { return ok_; }
	const Error &error() const { return err_; }

private:
	Error err_{};
	bool ok_ = true;
};

} // namespace tld
