// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// A minimal streaming JSON writer for --json output: objects, arrays, strings, numbers, bools.
// Commas are inserted for the caller; strings are escaped (comm and key names are untrusted).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tld::ctl {

class JsonWriter {
public:
	JsonWriter &begin_object();
	JsonWriter &end_object();
	JsonWriter &begin_array();
	JsonWriter &end_array();
	JsonWriter &key(std::string_view k);
	JsonWriter &str(std::string_view v);
	JsonWriter &num(int64_t v);
	JsonWriter &num(uint64_t v);
	JsonWriter &num(double v);
	JsonWriter &boolean(bool v);
	JsonWriter &null();
	// A value that is already JSON text (e.g. from decode.h).
	JsonWriter &raw(std::string_view json);

	// Convenience: key(k) followed by the value.
	template <typename T> JsonWriter &field(std::string_view k, T v) { return key(k).put(v); }

	const std::string &text() const { return out_; }
	std::string take() { return std::move(out_); }

private:
	JsonWriter &put(std::string_view v) { return str(v); }
	JsonWriter &put(const char *v) { return str(v); }
	JsonWriter &put(const std::string &v) { return str(v); }
	JsonWriter &put(bool v) { return boolean(v); }
	JsonWriter &put(double v) { return num(v); }
	JsonWriter &put(int v) { return num(int64_t(v)); }
	JsonWriter &put(long v) { return num(int64_t(v)); }
	JsonWriter &put(long long v) { return num(int64_t(v)); }
	JsonWriter &put(unsigned v) { return num(uint64_t(v)); }
	JsonWriter &put(unsigned long v) { return num(uint64_t(v)); }
	JsonWriter &put(unsigned long long v) { return num(uint64_t(v)); }
	void separate();

	std::string out_;
	std::vector<bool> first_; // per open container: no element written yet
	bool after_key_ = false;
};

// s as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

// A key's value as every command's --json gives it (docs/json.md), from its text as
// config::format_value() writes it: true/false and integers stay (JSON booleans and numbers),
// a string ("worker") and 0x hex become JSON strings without tldctl's quoting.
std::string json_value(const std::string &text);

} // namespace tld::ctl
