// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Key types and value encoding (see values.h). Built with -fno-exceptions for the preload.
#include "config/no_exceptions.h"

#include "config/values.h"

#include <bit>

#include "config/text.h"

static_assert(
        std::endian::native == std::endian::little,
        "tld stores values little-endian, which is what BPF reads only on little-endian hosts");

namespace tld::config {

namespace {

struct TypeName {
	const char *name;
	ValueKind kind;
	uint16_t size;
};

constexpr TypeName kFixedTypes[] = {
        {"u8", ValueKind::u8, 1},        {"u16", ValueKind::u16, 2}, {"u32", ValueKind::u32, 4},
        {"u64", ValueKind::u64, 8},      {"i32", ValueKind::i32, 4}, {"i64", ValueKind::i64, 8},
        {"bool", ValueKind::boolean, 1},
};

constexpr std::string_view kBytesPrefix = "bytes:";

bool is_signed(ValueKind k)
{
	return k == ValueKind::i32 || k == ValueKind::i64;
}

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool has_hex_prefix(std::string_view s)
{
	return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

bool equals_nocase(std::string_view a, std::string_view b)
{
	if (a.size() != b.size())
		return false;
	for (size_t i = 0; i < a.size(); i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = static_cast<char>(x - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

// Parses [-](decimal | 0x hex) into sign and magnitude. False on syntax error or u64 overflow
// (@overflow tells which).
bool parse_magnitude(std::string_view s, bool &negative, uint64_t &mag, bool &overflow)
{
	negative = false;
	overflow = false;
	mag = 0;
	if (!s.empty() && s[0] == '-') {
		negative = true;
		s.remove_prefix(1);
	}
	unsigned base = 10;
	if (has_hex_prefix(s)) {
		base = 16;
		s.remove_prefix(2);
	}
	if (s.empty())
		return false;
	for (char c : s) {
		int d = hex_digit(c);
		if (d < 0 || static_cast<unsigned>(d) >= base)
			return false;
		if (mag > (UINT64_MAX - static_cast<unsigned>(d)) / base) {
			overflow = true;
			return false;
		}
		mag = mag * base + static_cast<unsigned>(d);
	}
	return true;
}

std::string range_text(const KeyType &type)
{
	unsigned bits = type.size * 8u;
	if (is_signed(type.kind)) {
		uint64_t max = (uint64_t(1) << (bits - 1)) - 1;
		return "-" + std::to_string(max + 1) + ".." + std::to_string(max);
	}
	uint64_t max = bits == 64 ? UINT64_MAX : (uint64_t(1) << bits) - 1;
	return "0.." + std::to_string(max);
}

// A value or type that is not one: the reason is the whole message (callers add the key).
Error bad(std::string why)
{
	return Error{EINVAL, "", std::move(why)};
}

// Too large for 64 bits, or for the type: the same answer either way.
Error out_of_range(const KeyType &type, std::string_view text)
{
	return bad(quote(text) + " is out of range for " + type.name() + " (" + range_text(type) +
	           ")");
}

Result<void> encode_integer(const KeyType &type, std::string_view text, uint8_t *out)
{
	bool negative, overflow;
	uint64_t mag;
	if (!parse_magnitude(text, negative, mag, overflow)) {
		if (overflow)
			return out_of_range(type, text);
		return bad(quote(text) + " is not a valid " + type.name() + " (decimal or 0x hex" +
		           (is_signed(type.kind) ? ", may be negative)" : ")"));
	}
	unsigned bits = type.size * 8u;
	bool in_range;
	uint64_t v; // two's complement bit pattern
	if (is_signed(type.kind)) {
		uint64_t limit = uint64_t(1) << (bits - 1);
		in_range = negative ? mag <= limit : mag < limit;
		v = negative ? ~mag + 1 : mag;
	} else {
		uint64_t max = bits == 64 ? UINT64_MAX : (uint64_t(1) << bits) - 1;
		in_range = (!negative || mag == 0) && mag <= max;
		v = mag;
	}
	if (!in_range)
		return out_of_range(type, text);
	for (unsigned i = 0; i < type.size; i++)
		out[i] = static_cast<uint8_t>(v >> (8 * i));
	return {};
}

Result<void> encode_bool(std::string_view text, uint8_t *out)
{
	static constexpr std::string_view kTrue[] = {"true", "1", "yes", "on"};
	static constexpr std::string_view kFalse[] = {"false", "0", "no", "off"};
	for (auto t : kTrue) {
		if (equals_nocase(text, t)) {
			out[0] = 1;
			return {};
		}
	}
	for (auto f : kFalse) {
		if (equals_nocase(text, f)) {
			out[0] = 0;
			return {};
		}
	}
	return bad(quote(text) + " is not a bool (true/false, 1/0, yes/no, on/off)");
}

Result<void> encode_bytes(const KeyType &type, std::string_view text, uint8_t *out)
{
	for (unsigned i = 0; i < type.size; i++)
		out[i] = 0;
	if (!text.empty() && text.front() == '"') {
		if (text.size() < 2 || text.back() != '"')
			return bad("unterminated quote in " + quote(text));
		text = text.substr(1, text.size() - 2);
	} else if (has_hex_prefix(text)) {
		std::string_view digits = text.substr(2);
		if (digits.empty() || digits.size() % 2 != 0)
			return bad(quote(text) +
			           " needs an even, non-zero number of hex digits after 0x");
		if (digits.size() / 2 > type.size)
			return bad(quote(text) + " is " + std::to_string(digits.size() / 2) +
			           " bytes, more than " + type.name() + " holds");
		for (size_t i = 0; i < digits.size(); i += 2) {
			int hi = hex_digit(digits[i]), lo = hex_digit(digits[i + 1]);
			if (hi < 0 || lo < 0)
				return bad(quote(text) + " is not hex after 0x");
			out[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
		}
		return {};
	}
	if (text.size() > type.size)
		return bad(quote(text) + " is " + std::to_string(text.size()) +
		           " bytes, more than " + type.name() + " holds");
	for (size_t i = 0; i < text.size(); i++)
		out[i] = static_cast<uint8_t>(text[i]);
	return {};
}

// True if the bytes are printable text that survives a quoted round trip, then zeros.
bool is_quotable_text(const uint8_t *bytes, size_t size)
{
	size_t n = 0;
	while (n < size && bytes[n] != 0)
		n++;
	for (size_t i = n; i < size; i++) {
		if (bytes[i] != 0)
			return false;
	}
	for (size_t i = 0; i < n; i++) {
		// '"' and ',' would confuse a `set =` list, '#' starts a config comment.
		if (bytes[i] < 0x20 || bytes[i] > 0x7e || bytes[i] == '"' || bytes[i] == ',' ||
		    bytes[i] == '#')
			return false;
	}
	return true;
}

} // namespace

std::string KeyType::name() const
{
	if (kind == ValueKind::bytes)
		return std::string(kBytesPrefix) + std::to_string(size);
	for (const auto &t : kFixedTypes) {
		if (t.kind == kind)
			return t.name;
	}
	return "?";
}

Result<KeyType> parse_key_type(std::string_view text)
{
	for (const auto &t : kFixedTypes) {
		if (text == t.name) {
			return KeyType{t.kind, t.size};
		}
	}
	if (text.substr(0, kBytesPrefix.size()) == kBytesPrefix) {
		std::string_view n = text.substr(kBytesPrefix.size());
		bool negative, overflow;
		uint64_t size;
		if (n.empty() || has_hex_prefix(n) ||
		    !parse_magnitude(n, negative, size, overflow) || negative || size < 1 ||
		    size > kMaxBytesKeySize)
			return bad("bad size in type " + quote(text) + ": bytes:N needs N in 1.." +
			           std::to_string(kMaxBytesKeySize));
		return KeyType{ValueKind::bytes, static_cast<uint16_t>(size)};
	}
	return bad("unknown type " + quote(text) +
	           ": expected u8, u16, u32, u64, i32, i64, bool or bytes:N");
}

Result<void> encode_value(const KeyType &type, std::string_view text, uint8_t *out)
{
	if (type.kind == ValueKind::bytes)
		return encode_bytes(type, text, out);
	if (text.empty())
		return bad("empty value for " + type.name());
	if (type.kind == ValueKind::boolean)
		return encode_bool(text, out);
	return encode_integer(type, text, out);
}

std::string format_value(const KeyType &type, const uint8_t *bytes)
{
	if (type.kind == ValueKind::bytes) {
		if (is_quotable_text(bytes, type.size)) {
			std::string s = "\"";
			for (size_t i = 0; i < type.size && bytes[i] != 0; i++)
				s += static_cast<char>(bytes[i]);
			return s + "\"";
		}
		static const char hex[] = "0123456789abcdef";
		std::string s = "0x";
		for (size_t i = 0; i < type.size; i++) {
			s += hex[bytes[i] >> 4];
			s += hex[bytes[i] & 15];
		}
		return s;
	}
	if (type.kind == ValueKind::boolean)
		return bytes[0] ? "true" : "false";
	uint64_t v = 0;
	for (unsigned i = 0; i < type.size; i++)
		v |= uint64_t(bytes[i]) << (8 * i);
	if (is_signed(type.kind)) {
		unsigned bits = type.size * 8u;
		bool neg = (v >> (bits - 1)) & 1;
		if (neg) {
			uint64_t mask = bits == 64 ? UINT64_MAX : (uint64_t(1) << bits) - 1;
			return "-" + std::to_string((~v + 1) & mask);
		}
	}
	return std::to_string(v);
}

bool split_set_list(std::string_view list, std::vector<SetItem> &items, SetListError &err)
{
	items.clear();
	if (trim(list).empty())
		return true;
	size_t start = 0;
	bool in_quote = false;
	for (size_t i = 0; i <= list.size(); i++) {
		if (i < list.size() && list[i] == '"')
			in_quote = !in_quote;
		if (i < list.size() && (in_quote || list[i] != ','))
			continue;
		if (in_quote) {
			err = SetListError{items.size() + 1, bad("unterminated quote")};
			return false;
		}
		std::string_view text = trim(list.substr(start, i - start));
		size_t index = items.size() + 1;
		if (text.empty()) {
			err = SetListError{index, bad("empty item, expected key=value")};
			return false;
		}
		size_t eq = text.find('=');
		if (eq == std::string_view::npos) {
			err = SetListError{index, bad(quote(text) + ": expected key=value")};
			return false;
		}
		SetItem item{trim(text.substr(0, eq)), trim(text.substr(eq + 1)), text};
		if (item.key.empty()) {
			err = SetListError{index,
			                   bad(quote(text) + ": missing key name before '='")};
			return false;
		}
		items.push_back(item);
		start = i + 1;
	}
	return true;
}

} // namespace tld::config
