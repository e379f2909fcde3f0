// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Config errors as values. The preload links this code and must never throw, so every parser
// returns Parsed<T>: a value or the first error, which names the file and line it is about.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tld::config {

struct ParseError {
	std::string file; // a path, "TLD_SET", or "command line"
	int line = 0; // 1-based line (or TLD_SET item); 0 when the error is about the whole file
	std::string message;

	// "FILE:LINE: message", or "FILE: message" when line is 0.
	std::string str() const
	{
		std::string s = file;
		if (line > 0) {
			s += ':';
			s += std::to_string(line);
		}
		s += ": ";
		s += message;
		return s;
	}
};

// value() requires ok(), error() requires !ok(): nothing here throws to tell you otherwise.
template <typename T> class [[nodiscard]] Parsed {
public:
	Parsed(T value) : v_(std::move(value)) {}
	Parsed(ParseError err) : v_(std::move(err)) {}

	bool ok() const { return v_.index() == 0; }
	explicit operator bool() const { return ok(); }
	T &value() & { return *std::get_if<0>(&v_); }
	const T &value() const & { return *std::get_if<0>(&v_); }
	T &&value() && { return std::move(*std::get_if<0>(&v_)); }
	const ParseError &error() const { return *std::get_if<1>(&v_); }

private:
	std::variant<T, ParseError> v_;
};

} // namespace tld::config
