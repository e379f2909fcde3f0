// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Shorthands for the config tests: parse text and get the error line as the user would see it.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/ini.h"
#include "config/keys_config.h"

namespace tld::test {

// The error string for keys.conf text named "k.conf", or "(parsed)" if it parsed.
inline std::string keys_error(std::string_view text)
{
	auto r = config::parse_keys_config(text, "k.conf");
	return r ? "(parsed)" : r.error().message();
}

inline std::string ini_error(std::string_view text)
{
	auto r = config::tokenize_ini(text, "x.ini");
	return r ? "(parsed)" : r.error().message();
}

// Encodes @text as @type, or returns the reason it cannot be.
inline std::string value_error(std::string_view type_name, std::string_view text)
{
	auto type = config::parse_key_type(type_name);
	if (!type)
		return "bad type: " + type.error().message();
	std::vector<uint8_t> out(type->size);
	auto r = config::encode_value(*type, text, out.data());
	return r ? "(ok)" : r.error().message();
}

inline std::vector<uint8_t> encoded(std::string_view type_name, std::string_view text)
{
	auto type = config::parse_key_type(type_name);
	if (!type)
		return {};
	std::vector<uint8_t> out(type->size);
	if (!config::encode_value(*type, text, out.data()))
		return {};
	return out;
}

inline void write_file(const std::string &path, std::string_view text)
{
	std::ofstream(path, std::ios::binary) << text;
}

} // namespace tld::test
