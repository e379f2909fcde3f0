// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What the config fuzzers share: a broken promise aborts (libFuzzer then saves the input), and
// a parse error must name the file and a line the text has.
#pragma once

#include <cstdlib>
#include <string_view>

#include "sys/result.h"

namespace tld::test {

inline void check(bool ok)
{
	if (!ok)
		abort();
}

// The lines of @text; a last line without a newline counts.
inline int line_count(std::string_view text)
{
	int lines = 1;
	for (char c : text)
		lines += c == '\n';
	return lines;
}

// The line a config error names in @file: LINE of "FILE:LINE", 0 for "FILE", -1 when the error
// is about something else.
inline int error_line(const Error &e, std::string_view file)
{
	std::string_view at = e.context;
	if (at == file)
		return 0;
	if (at.size() <= file.size() + 1 || at.substr(0, file.size()) != file ||
	    at[file.size()] != ':')
		return -1;
	int line = 0;
	for (char c : at.substr(file.size() + 1)) {
		if (c < '0' || c > '9' || line > 1'000'000)
			return -1;
		line = line * 10 + (c - '0');
	}
	return line;
}

// @e names @file and a line from @first (0: the file as a whole) to the last of @text, and says
// something.
inline void check_error(const Error &e, std::string_view file, int first, std::string_view text)
{
	const int line = error_line(e, file);
	check(line >= first && line <= line_count(text));
	check(!e.reason.empty());
}

} // namespace tld::test
