// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Small string helpers shared by the config parsers (internal; not part of the API).
#pragma once

#include <string>
#include <string_view>

namespace tld::config {

// Boost's config-file parser trims " \t\r\n"; '\n' never reaches here, and '\r' makes CRLF work.
inline bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

inline std::string_view trim(std::string_view s)
{
	while (!s.empty() && is_blank(s.front()))
		s.remove_prefix(1);
	while (!s.empty() && is_blank(s.back()))
		s.remove_suffix(1);
	return s;
}

// 'text' for an error message: quoted, control bytes escaped (the message ends up on a terminal
// or in the journal), and cut after about 64 characters so a garbage line cannot flood either.
inline std::string quote(std::string_view s)
{
	static const char hex[] = "0123456789abcdef";
	constexpr size_t kMax = 64;
	std::string out = "'";
	for (size_t i = 0; i < s.size(); i++) {
		if (out.size() > kMax) {
			out += "...";
			break;
		}
		unsigned char c = static_cast<unsigned char>(s[i]);
		if (c < 0x20 || c == 0x7f) {
			out += "\\x";
			out += hex[c >> 4];
			out += hex[c & 15];
		} else {
			out += static_cast<char>(c);
		}
	}
	out += '\'';
	return out;
}

} // namespace tld::config
