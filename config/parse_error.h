// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Config errors as values: tld::Error (common/sys/result.h), whose context is the file and line
// it is about. The preload links this code and must never throw, so every parser returns a
// Result: a value or the first error.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>

#include "sys/result.h"

namespace tld::config {

// An error about @file (a path, "TLD_SET" or "command line") at @line (1-based, or the TLD_SET
// item; 0 when it is about the whole file): its message() is "FILE:LINE: message", or
// "FILE: message" when line is 0. @code: the errno behind it, if a system call failed.
inline Error parse_error(std::string_view file, int line, std::string message, int code = EINVAL)
{
	std::string at(file);
	if (line > 0) {
		at += ':';
		at += std::to_string(line);
	}
	return Error{code, std::move(at), std::move(message)};
}

} // namespace tld::config
