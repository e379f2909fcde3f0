// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Recoverable errors as values, for all C++ code but the preload's own (negative errno there):
// a positive errno, what failed on what, and why when errno alone would not say it, so that a
// message reads "pidfd_open(1234): No such process" or "tldd.conf:3: unknown setting 'x'".
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tld {

struct Error {
	int code = EINVAL;   // positive errno
	std::string context; // what failed, on what: "pidfd_open(1234)", "tldd.conf:3"
	std::string reason;  // why, when strerror(code) would not say it; empty: strerror(code)

	// "context: reason", or whichever of the two is not empty.
	std::string message() const
	{
		std::string why = reason.empty() ? std::strerror(code) : reason;
		return context.empty() ? why : context + ": " + why;
	}
	int negative() const { return -code; }

	// The same error with @outer in front of the context: "loading the set program: ...".
	Error within(std::string_view outer) const &
	{
		Error e = *this;
		return std::move(e).within(outer);
	}
	Error within(std::string_view outer) &&
	{
		context =
		        context.empty() ? std::string(outer) : std::string(outer) + ": " + context;
		return std::move(*this);
	}
};

// Builds an Error from errno or from a negative return value.
inline Error error_from_errno(std::string context, int err)
{
	return Error{err < 0 ? -err : err, std::move(context)};
}

// A value or an Error. value() requires ok(), error() requires !ok(): nothing here throws to
// say otherwise (the config parsers the preload links are built without exceptions).
template <typename T> class [[nodiscard]] Result {
public:
	Result(T value) : v_(std::move(value)) {}
	Result(Error err) : v_(std::move(err)) {}

	bool ok() const { return v_.index() == 0; }
	explicit operator bool() const { return ok(); }
	T &value() & { return *std::get_if<0>(&v_); }
	T &&value() && { return std::move(*std::get_if<0>(&v_)); }
	const T &value() const & { return *std::get_if<0>(&v_); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }
	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }
	const Error &error() const & { return *std::get_if<1>(&v_); }
	Error &&error() && { return std::move(*std::get_if<1>(&v_)); }

private:
	std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
	Result() = default;
	Result(Error err) : err_(std::move(err)), ok_(false) {}

	bool ok() const { return ok_; }
	explicit operator bool() const { return ok_; }
	const Error &error() const & { return err_; }
	Error &&error() && { return std::move(err_); }

private:
	Error err_{};
	bool ok_ = true;
};

} // namespace tld
