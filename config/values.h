// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Key types and values: "u32", "bytes:16", "0x10", "true", "\"text\"" -> the bytes BPF reads.
//
// Values are parsed by the key's type, with range checks:
//   u8 u16 u32 u64   decimal or 0x hex
//   i32 i64          decimal or 0x hex, optionally negative ("-5", "-0x10")
//   bool             true/false, 1/0, yes/no, on/off (any case); stored as one byte 1 or 0
//   bytes:N          a string, bare or in double quotes (no escapes), at most N bytes and
//                    zero-padded; or 0x followed by an even number of hex digits, at most N bytes.
//                    A quoted string may start with 0x, contain commas or keep edge blanks.
// Integers are stored little-endian in exactly the key's size (the hosts BPF runs tld on, x86_64
// and arm64, are little-endian; values.cpp refuses to build elsewhere rather than be wrong).
// No function here throws or keeps state; the preload calls them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sys/result.h"

namespace tld::config {

enum class ValueKind : uint8_t { u8, u16, u32, u64, i32, i64, boolean, bytes };

inline constexpr uint16_t kMaxBytesKeySize = 4000;

struct KeyType {
	ValueKind kind = ValueKind::u8;
	uint16_t size = 1; // bytes the value occupies in a thread's block (before rounding to 8)

	std::string name() const; // "u32", "bytes:16"
	bool operator==(const KeyType &) const = default;
};

// "u8".."i64", "bool", "bytes:N" with N in 1..kMaxBytesKeySize. An error's message says what
// is wrong.
Result<KeyType> parse_key_type(std::string_view text);

// Encodes @text as a value of @type into out[0..type.size). An error's message says what is
// wrong (without naming the key; callers add that context); @out is then left unspecified.
Result<void> encode_value(const KeyType &type, std::string_view text, uint8_t *out);

// The inverse of encode_value(): text that encodes back to the same bytes. Bytes values come out
// as a quoted string when they are printable text followed by zeros, else as 0x hex.
std::string format_value(const KeyType &type, const uint8_t *bytes);

// One "key=value" of a `set =` list or of TLD_SET, trimmed; views into the list text.
struct SetItem {
	std::string_view key;
	std::string_view value;
	std::string_view text; // the whole item, for error messages
};

// A bad item of a set list. The item's number stays a number beside the Error, as `set =` names
// it "set item 2" and TLD_SET as the line of "TLD_SET:2".
struct SetListError {
	size_t item = 0; // 1-based index of the bad item, 0 when about the whole list
	Error error;     // what is wrong with it: its message(), naming no item
};

// Splits "a=1, b = 2, name=\"x,y\"" at commas outside double quotes. A blank list gives no items;
// an empty item, an item without '=' or with an empty key, or an unterminated quote is an error.
bool split_set_list(std::string_view list, std::vector<SetItem> &items, SetListError &err);

} // namespace tld::config
