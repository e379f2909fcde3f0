// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What the config fuzzers share: a broken promise aborts (libFuzzer then saves the input), and
// a parse error must name the file and a line the text has.
#pragma once

#include <cstdlib>
#include <string_view>

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

// @e names @file and a line from @first (0: the file as a whole) to the last of @text, and says
// something.
template <class Error>
void check_error(const Error &e, std::string_view file, int first, std::string_view text)
{
	check(e.file == file);
	check(e.line >= first && e.line <= line_count(text));
	check(!e.message.empty());
}

} // namespace tld::test
