// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "json.h"

#include <cmath>
#include <cstdio>

namespace tld::ctl {

std::string json_quote(std::string_view s)
{
	static const char hex[] = "0123456789abcdef";
	std::string out = "\"";
	for (unsigned char c : s) {
		switch (c) {
		case '"':
			out += "\\\"";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\t':
			out += "\\t";
			break;
		default:
			// Control bytes and anything that is not ASCII: comm and key names are
			// arbitrary bytes, not necessarily UTF-8, and the output must stay valid
			// JSON.
			if (c < 0x20 || c >= 0x7f) {
				out += "\\u00";
				out += hex[c >> 4];
				out += hex[c & 15];
			} else {
				out += char(c);
			}
		}
	}
	out += '"';
	return out;
}

void JsonWriter::separate()
{
	if (after_key_) {
		after_key_ = false;
		return;
	}
	if (!first_.empty()) {
		if (!first_.back())
			out_ += ',';
		first_.back() = false;
	}
}

JsonWriter &JsonWriter::begin_object()
{
	separate();
	out_ += '{';
	first_.push_back(true);
	return *this;
}

JsonWriter &JsonWriter::end_object()
{
	out_ += '}';
	first_.pop_back();
	return *this;
}

JsonWriter &JsonWriter::begin_array()
{
	separate();
	out_ += '[';
	first_.push_back(true);
	return *this;
}

JsonWriter &JsonWriter::end_array()
{
	out_ += ']';
	first_.pop_back();
	return *this;
}

JsonWriter &JsonWriter::key(std::string_view k)
{
	separate();
	out_ += json_quote(k);
	out_ += ':';
	after_key_ = true;
	return *this;
}

JsonWriter &JsonWriter::str(std::string_view v)
{
	separate();
	out_ += json_quote(v);
	return *this;
}

JsonWriter &JsonWriter::num(int64_t v)
{
	separate();
	out_ += std::to_string(v);
	return *this;
}

JsonWriter &JsonWriter::num(uint64_t v)
{
	separate();
	out_ += std::to_string(v);
	return *this;
}

JsonWriter &JsonWriter::num(double v)
{
	separate();
	if (!std::isfinite(v)) {
		out_ += "null";
		return *this;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "%.6g", v);
	out_ += buf;
	return *this;
}

JsonWriter &JsonWriter::boolean(bool v)
{
	separate();
	out_ += v ? "true" : "false";
	return *this;
}

JsonWriter &JsonWriter::null()
{
	separate();
	out_ += "null";
	return *this;
}

JsonWriter &JsonWriter::raw(std::string_view json)
{
	separate();
	out_ += json;
	return *this;
}

std::string json_value(const std::string &text)
{
	if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
		return json_quote(std::string_view(text).substr(1, text.size() - 2));
	if (text.empty() || text.starts_with("0x") || text == "-" || text == "?")
		return json_quote(text);
	return text;
}

} // namespace tld::ctl
