// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Key types and values: every type's range edges, the accepted spellings, and the bytes stored.
#include <gtest/gtest.h>

#include "helpers.h"

namespace tld::config {
namespace {

using test::encoded;
using test::value_error;
using Bytes = std::vector<uint8_t>;

TEST(KeyTypes, NamesAndSizes)
{
	struct {
		const char *name;
		ValueKind kind;
		uint16_t size;
	} cases[] = {
	        {"u8", ValueKind::u8, 1},
	        {"u16", ValueKind::u16, 2},
	        {"u32", ValueKind::u32, 4},
	        {"u64", ValueKind::u64, 8},
	        {"i32", ValueKind::i32, 4},
	        {"i64", ValueKind::i64, 8},
	        {"bool", ValueKind::boolean, 1},
	        {"bytes:1", ValueKind::bytes, 1},
	        {"bytes:4000", ValueKind::bytes, 4000},
	};
	for (const auto &c : cases) {
		auto parsed = parse_key_type(c.name);
		ASSERT_TRUE(parsed) << c.name << ": " << parsed.error().message();
		const KeyType t = *parsed;
		EXPECT_EQ(t.kind, c.kind) << c.name;
		EXPECT_EQ(t.size, c.size) << c.name;
		EXPECT_EQ(t.name(), c.name);
	}
}

TEST(KeyTypes, Bad)
{
	EXPECT_EQ(value_error("u128", "1"), "bad type: unknown type 'u128': expected u8, u16, u32, "
	                                    "u64, i32, i64, bool or bytes:N");
	EXPECT_EQ(value_error("U8", "1"),
	          "bad type: unknown type 'U8': expected u8, u16, u32, u64, "
	          "i32, i64, bool or bytes:N");
	for (const char *bad : {"bytes:0", "bytes:4001", "bytes:", "bytes:x", "bytes:-1",
	                        "bytes:0x10", "bytes:99999999999999999999999"})
		EXPECT_EQ(value_error(bad, ""), "bad type: bad size in type '" + std::string(bad) +
		                                        "': bytes:N needs N in 1..4000");
}

TEST(Values, UnsignedRanges)
{
	EXPECT_EQ(encoded("u8", "255"), Bytes({0xff}));
	EXPECT_EQ(value_error("u8", "256"), "'256' is out of range for u8 (0..255)");
	EXPECT_EQ(encoded("u16", "0xBEEF"), Bytes({0xef, 0xbe}));
	EXPECT_EQ(value_error("u16", "65536"), "'65536' is out of range for u16 (0..65535)");
	EXPECT_EQ(encoded("u32", "4294967295"), Bytes({0xff, 0xff, 0xff, 0xff}));
	EXPECT_EQ(value_error("u32", "0x100000000"),
	          "'0x100000000' is out of range for u32 (0..4294967295)");
	EXPECT_EQ(encoded("u64", "18446744073709551615"), Bytes(8, 0xff));
	EXPECT_EQ(value_error("u64", "18446744073709551616"),
	          "'18446744073709551616' is out of range for u64 (0..18446744073709551615)");
	EXPECT_EQ(encoded("u64", "0x0102030405060708"),
	          Bytes({8, 7, 6, 5, 4, 3, 2, 1})); // little-endian
	EXPECT_EQ(value_error("u32", "-1"), "'-1' is out of range for u32 (0..4294967295)");
	EXPECT_EQ(encoded("u32", "-0"), Bytes(4, 0));
	EXPECT_EQ(encoded("u32", "007"), Bytes({7, 0, 0, 0})) << "leading zeros are decimal";
}

TEST(Values, SignedRanges)
{
	EXPECT_EQ(encoded("i32", "-2147483648"), Bytes({0, 0, 0, 0x80}));
	EXPECT_EQ(encoded("i32", "2147483647"), Bytes({0xff, 0xff, 0xff, 0x7f}));
	EXPECT_EQ(value_error("i32", "-2147483649"),
	          "'-2147483649' is out of range for i32 (-2147483648..2147483647)");
	EXPECT_EQ(value_error("i32", "2147483648"),
	          "'2147483648' is out of range for i32 (-2147483648..2147483647)");
	EXPECT_EQ(value_error("i32", "0xffffffff"),
	          "'0xffffffff' is out of range for i32 (-2147483648..2147483647)")
	        << "hex is a value, not a bit pattern";
	EXPECT_EQ(encoded("i32", "-1"), Bytes(4, 0xff));
	EXPECT_EQ(encoded("i32", "-0x10"), Bytes({0xf0, 0xff, 0xff, 0xff}));
	EXPECT_EQ(encoded("i64", "-9223372036854775808"), Bytes({0, 0, 0, 0, 0, 0, 0, 0x80}));
	EXPECT_EQ(encoded("i64", "9223372036854775807"),
	          Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}));
	EXPECT_EQ(value_error("i64", "9223372036854775808"),
	          "'9223372036854775808' is out of range for i64 "
	          "(-9223372036854775808..9223372036854775807)");
	EXPECT_EQ(value_error("i64", "-9223372036854775809"),
	          "'-9223372036854775809' is out of range for i64 "
	          "(-9223372036854775808..9223372036854775807)");
}

TEST(Values, NotNumbers)
{
	EXPECT_EQ(value_error("u32", ""), "empty value for u32");
	EXPECT_EQ(value_error("u32", "12abc"), "'12abc' is not a valid u32 (decimal or 0x hex)");
	EXPECT_EQ(value_error("u32", "0x"), "'0x' is not a valid u32 (decimal or 0x hex)");
	EXPECT_EQ(value_error("u32", "+5"), "'+5' is not a valid u32 (decimal or 0x hex)");
	EXPECT_EQ(value_error("u32", "1 000"), "'1 000' is not a valid u32 (decimal or 0x hex)");
	EXPECT_EQ(value_error("i64", "--1"),
	          "'--1' is not a valid i64 (decimal or 0x hex, may be negative)");
	EXPECT_EQ(value_error("u8", "\"5\""), "'\"5\"' is not a valid u8 (decimal or 0x hex)");
}

TEST(Values, Bool)
{
	for (const char *t : {"true", "TRUE", "1", "yes", "Yes", "on"})
		EXPECT_EQ(encoded("bool", t), Bytes({1})) << t;
	for (const char *f : {"false", "False", "0", "no", "off", "OFF"})
		EXPECT_EQ(encoded("bool", f), Bytes({0})) << f;
	EXPECT_EQ(value_error("bool", "2"), "'2' is not a bool (true/false, 1/0, yes/no, on/off)");
	EXPECT_EQ(value_error("bool", "truth"),
	          "'truth' is not a bool (true/false, 1/0, yes/no, on/off)");
	EXPECT_EQ(value_error("bool", ""), "empty value for bool");
}

TEST(Values, Bytes)
{
	EXPECT_EQ(encoded("bytes:4", "ab"), Bytes({'a', 'b', 0, 0})) << "zero-padded";
	EXPECT_EQ(encoded("bytes:4", "abcd"), Bytes({'a', 'b', 'c', 'd'})) << "exact fit, no NUL";
	EXPECT_EQ(value_error("bytes:4", "abcde"), "'abcde' is 5 bytes, more than bytes:4 holds");
	EXPECT_EQ(encoded("bytes:4", "\" a,\""), Bytes({' ', 'a', ',', 0}));
	EXPECT_EQ(encoded("bytes:4", "\"0x12\""), Bytes({'0', 'x', '1', '2'}));
	EXPECT_EQ(encoded("bytes:4", "\"\""), Bytes(4, 0));
	EXPECT_EQ(encoded("bytes:4", ""), Bytes(4, 0));
	EXPECT_EQ(value_error("bytes:4", "\"ab"), "unterminated quote in '\"ab'");
	EXPECT_EQ(value_error("bytes:4", "\""), "unterminated quote in '\"'");
	EXPECT_EQ(value_error("bytes:4", "\"abcde\""),
	          "'abcde' is 5 bytes, more than bytes:4 holds");
	EXPECT_EQ(encoded("bytes:4", "0xdeAD"), Bytes({0xde, 0xad, 0, 0}));
	EXPECT_EQ(encoded("bytes:2", "0x0001"), Bytes({0, 1}));
	EXPECT_EQ(value_error("bytes:2", "0x000102"),
	          "'0x000102' is 3 bytes, more than bytes:2 holds");
	EXPECT_EQ(value_error("bytes:2", "0xabc"),
	          "'0xabc' needs an even, non-zero number of hex digits after 0x");
	EXPECT_EQ(value_error("bytes:2", "0x"),
	          "'0x' needs an even, non-zero number of hex digits after 0x");
	EXPECT_EQ(value_error("bytes:2", "0xzz"), "'0xzz' is not hex after 0x");
	std::string big(4000, 'q');
	EXPECT_EQ(encoded("bytes:4000", big), Bytes(4000, 'q'));
}

TEST(Values, FormatRoundTrips)
{
	struct {
		const char *type, *text, *formatted;
	} cases[] = {
	        {"u8", "0xff", "255"},
	        {"u64", "18446744073709551615", "18446744073709551615"},
	        {"i32", "-2147483648", "-2147483648"},
	        {"i64", "-9223372036854775808", "-9223372036854775808"},
	        {"i64", "42", "42"},
	        {"bool", "on", "true"},
	        {"bool", "no", "false"},
	        {"bytes:8", "worker", "\"worker\""},
	        {"bytes:4", "", "\"\""},
	        {"bytes:4", "a,b", "0x612c6200"},
	        {"bytes:3", "0x000102", "0x000102"},
	        {"bytes:3", "0x410042", "0x410042"},
	};
	for (const auto &c : cases) {
		auto parsed = parse_key_type(c.type);
		ASSERT_TRUE(parsed);
		const KeyType t = *parsed;
		Bytes b = encoded(c.type, c.text);
		ASSERT_EQ(b.size(), t.size) << c.type << " " << c.text;
		std::string f = format_value(t, b.data());
		EXPECT_EQ(f, c.formatted);
		EXPECT_EQ(encoded(c.type, f), b) << "format_value() must encode back: " << f;
	}
}

TEST(SetLists, Split)
{
	std::vector<SetItem> items;
	SetListError err;
	ASSERT_TRUE(split_set_list(" a=1 ,b = two words , c=\"x,y\"", items, err));
	ASSERT_EQ(items.size(), 3u);
	EXPECT_EQ(items[0].key, "a");
	EXPECT_EQ(items[0].value, "1");
	EXPECT_EQ(items[1].key, "b");
	EXPECT_EQ(items[1].value, "two words");
	EXPECT_EQ(items[2].value, "\"x,y\"");
	EXPECT_EQ(items[2].text, "c=\"x,y\"");

	ASSERT_TRUE(split_set_list("  ", items, err));
	EXPECT_TRUE(items.empty());

	struct {
		const char *list;
		size_t item;
		const char *message;
	} bad[] = {
	        {"a=1,,b=2", 2, "empty item, expected key=value"},
	        {"a=1,", 2, "empty item, expected key=value"},
	        {"a=1, b", 2, "'b': expected key=value"},
	        {"=1", 1, "'=1': missing key name before '='"},
	        {"a=1,b=\"x,y", 2, "unterminated quote"},
	};
	for (const auto &b : bad) {
		EXPECT_FALSE(split_set_list(b.list, items, err)) << b.list;
		EXPECT_EQ(err.item, b.item) << b.list;
		EXPECT_EQ(err.error.message(), b.message) << b.list;
	}
}

} // namespace
} // namespace tld::config
