// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// keys.conf: what a good file gives, and the exact FILE:LINE message for each bad one.
#include <gtest/gtest.h>

#include <tld/abi.h>

#include "helpers.h"

namespace tld::config {
namespace {

using test::keys_error;
using Bytes = std::vector<uint8_t>;

KeysConfig parse(std::string_view text)
{
	auto r = parse_keys_config(text, "k.conf");
	EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message());
	return r ? std::move(r).value() : KeysConfig{};
}

TEST(KeysConfig, MinimalFileGivesDefaults)
{
	KeysConfig c = parse("[key.a]\ntype = u8\n");
	EXPECT_EQ(c.file, "k.conf");
	ASSERT_EQ(c.keys.size(), 1u);
	EXPECT_EQ(c.keys[0].name, "a");
	EXPECT_EQ(c.keys[0].type.kind, ValueKind::u8);
	EXPECT_EQ(c.keys[0].default_value, Bytes({0}));
	EXPECT_EQ(c.keys[0].line, 1);
	EXPECT_TRUE(c.rules.empty());
	EXPECT_EQ(c.options.registration, Registration::automatic);
	EXPECT_EQ(c.options.socket, "/run/tld/tldd.sock");
	EXPECT_EQ(c.options.pin_root, "/sys/fs/bpf/tld");
	EXPECT_FALSE(c.options.quiet);
	EXPECT_EQ(c.options.dyn_reserve, 64u);
	EXPECT_EQ(c.options.start, Start::at_exec);
	EXPECT_FALSE(c.uses_thread_names);
	EXPECT_FALSE(c.uses_start_symbols);
}

TEST(KeysConfig, OptionsAnywhereAndInAnyCase)
{
	KeysConfig c =
	        parse("[key.a]\ntype=bool\n"
	              "[options]\nregistration = direct\nquiet = yes\n"
	              "[key.b]\ntype=u8\n"
	              "[options]\nsocket = /tmp/t.sock\npin_root = /tmp/bpf\ndyn_reserve = 0\n");
	EXPECT_EQ(c.options.registration, Registration::direct);
	EXPECT_TRUE(c.options.quiet);
	EXPECT_EQ(c.options.socket, "/tmp/t.sock");
	EXPECT_EQ(c.options.pin_root, "/tmp/bpf");
	EXPECT_EQ(c.options.dyn_reserve, 0u);
	EXPECT_EQ(parse("[options]\nregistration=broker\n[key.a]\ntype=u8\n").options.registration,
	          Registration::broker);
	EXPECT_EQ(parse("[options]\nstart = on_first_thread\n[key.a]\ntype=u8\n").options.start,
	          Start::on_first_thread);
	EXPECT_EQ(parse("[options]\nstart = at_exec\n[key.a]\ntype=u8\n").options.start,
	          Start::at_exec);
}

TEST(KeysConfig, LayoutDefaultsAndNames)
{
	KeysConfig c = parse("[key.flag]\ntype = bool\ndefault = on\n"
	                     "[key.sched.prio-1]\ntype = u16\ndefault = 0x1234\n"
	                     "[key.nice]\ndefault = -5\ntype = i32\n"
	                     "[key.tag]\ntype = bytes:10\ndefault = \"db\"\n"
	                     "[key.blob]\ntype = bytes:3\ndefault = 0x010203\n");
	ASSERT_EQ(c.keys.size(), 5u);
	EXPECT_EQ(c.keys[1].name, "sched.prio-1");
	EXPECT_EQ(c.keys[0].default_value, Bytes({1}));
	EXPECT_EQ(c.keys[1].default_value, Bytes({0x34, 0x12}));
	EXPECT_EQ(c.keys[2].default_value, Bytes({0xfb, 0xff, 0xff, 0xff}));
	EXPECT_EQ(c.keys[3].default_value, Bytes({'d', 'b', 0, 0, 0, 0, 0, 0, 0, 0}));
	EXPECT_EQ(c.keys[4].default_value, Bytes({1, 2, 3}));
	unsigned packed[] = {0, 1, 3, 7, 17};
	for (size_t i = 0; i < 5; i++)
		EXPECT_EQ(c.keys[i].packed_offset, packed[i]) << i;
	EXPECT_EQ(c.packed_size, 20u);
	EXPECT_EQ(c.slot_bytes, 8u + 8 + 8 + 16 + 8);
	EXPECT_EQ(c.find_key("nice"), 2);
	EXPECT_EQ(c.find_key("nope"), -1);
}

TEST(KeysConfig, LongestNameAndMostKeys)
{
	std::string name(TLD_NAME_LEN - 1, 'n');
	EXPECT_EQ(parse("[key." + name + "]\ntype=u8\n").keys.at(0).name, name);
	std::string text;
	for (int i = 0; i < TLD_MAX_KEYS; i++)
		text += "[key.k" + std::to_string(i) + "]\ntype = u64\n";
	EXPECT_EQ(parse(text).keys.size(), size_t(TLD_MAX_KEYS));
}

TEST(KeysConfig, BlockLimit)
{
	// A block holds kMaxBlockBytes: the keys' 8-rounded slots plus dyn_reserve.
	EXPECT_EQ(parse("[options]\ndyn_reserve=32\n[key.a]\ntype = bytes:4000\n").slot_bytes,
	          4000u);
	EXPECT_EQ(keys_error("[key.a]\ntype = bytes:4000\n[key.b]\ntype = bytes:33\n"),
	          "k.conf:4: key 'b': bytes:33 does not fit: the keys so far need 4040 bytes, a "
	          "block "
	          "holds 4032");
	EXPECT_EQ(
	        keys_error("[key.a]\ntype = bytes:4000\n[key.b]\ntype = u8\n"),
	        "k.conf:3: the keys need 4008 bytes and dyn_reserve is 64 (the default): together "
	        "more than the 4032 bytes of a block; lower [options] dyn_reserve or the key "
	        "sizes");
	EXPECT_EQ(
	        keys_error("[key.a]\ntype = bytes:4000\n"),
	        "k.conf:1: the keys need 4000 bytes and dyn_reserve is 64 (the default): together "
	        "more than the 4032 bytes of a block; lower [options] dyn_reserve or the key "
	        "sizes");
	EXPECT_EQ(keys_error("[key.a]\ntype = bytes:3000\n[options]\ndyn_reserve = 1100\n"),
	          "k.conf:4: the keys need 3000 bytes and dyn_reserve is 1100: together more than "
	          "the 4032 bytes of a block; lower [options] dyn_reserve or the key sizes");
}

TEST(KeysConfig, BadSyntax)
{
	EXPECT_EQ(keys_error("[key.a]\ntype u8\n"),
	          "k.conf:2: expected 'name = value' or '[section]', not 'type u8'");
	EXPECT_EQ(keys_error("[key.a\ntype = u8\n"),
	          "k.conf:1: unterminated section header '[key.a'");
}

TEST(KeysConfig, EmptyFile)
{
	EXPECT_EQ(keys_error(""),
	          "k.conf: no keys declared (add a [key.NAME] section with a type)");
	EXPECT_EQ(keys_error("# only\n\n; comments\n"),
	          "k.conf: no keys declared (add a [key.NAME] section with a type)");
	EXPECT_EQ(keys_error("[options]\nquiet = true\n"),
	          "k.conf: no keys declared (add a [key.NAME] section with a type)");
}

TEST(KeysConfig, BadSections)
{
	EXPECT_EQ(keys_error("quiet = true\n"),
	          "k.conf:1: 'quiet' is outside a section: put it under [options], [key.NAME] or "
	          "[rule.NAME]");
	EXPECT_EQ(keys_error("[keys.a]\n"), "k.conf:1: unknown section [keys.a]: expected "
	                                    "[options], [key.NAME] or [rule.NAME]");
	EXPECT_EQ(keys_error("[key]\ntype=u8\n"),
	          "k.conf:1: section [key] needs a name: [key.NAME]");
	EXPECT_EQ(keys_error("[rule]\n"), "k.conf:1: section [rule] needs a name: [rule.NAME]");
	EXPECT_EQ(keys_error("[key.a@b]\ntype=u8\n"), "k.conf:1: bad key name 'a@b': key names are "
	                                              "1..61 characters of A-Z a-z 0-9 _ . -");
	EXPECT_EQ(keys_error("[key." + std::string(62, 'n') + "]\ntype=u8\n"),
	          "k.conf:1: bad key name '" + std::string(62, 'n') +
	                  "': key names are 1..61 characters of A-Z a-z 0-9 _ . -");
	EXPECT_EQ(
	        keys_error("[key.a]\ntype=u8\n[rule.r/1]\nset=a=1\n"),
	        "k.conf:3: bad rule name 'r/1': rule names are 1..61 characters of A-Z a-z 0-9 _ . "
	        "-");
}

TEST(KeysConfig, BadKeys)
{
	EXPECT_EQ(keys_error("[key.a]\ntype = u128\n"),
	          "k.conf:2: key 'a': unknown type 'u128': expected u8, u16, u32, u64, i32, i64, "
	          "bool "
	          "or bytes:N");
	EXPECT_EQ(keys_error("[key.a]\ntype = bytes:0\n"),
	          "k.conf:2: key 'a': bad size in type 'bytes:0': bytes:N needs N in 1..4000");
	EXPECT_EQ(keys_error("[key.a]\ndefault = 1\n[key.b]\ntype=u8\n"),
	          "k.conf:1: key 'a': no type (add type = u8|u16|u32|u64|i32|i64|bool|bytes:N)");
	EXPECT_EQ(keys_error("[key.a]\ntype = u8\ndefault = 256\n"),
	          "k.conf:3: key 'a': default: '256' is out of range for u8 (0..255)");
	EXPECT_EQ(keys_error("[key.a]\ntype = bool\ndefault = maybe\n"),
	          "k.conf:3: key 'a': default: 'maybe' is not a bool (true/false, 1/0, yes/no, "
	          "on/off)");
	EXPECT_EQ(keys_error("[key.a]\ntype = u8\ndefault =\n"),
	          "k.conf:3: key 'a': default: empty value for u8");
	EXPECT_EQ(keys_error("[key.a]\ntype = u8\ntype = u16\n"),
	          "k.conf:3: 'type' given twice in [key.a] (first at line 2)");
	EXPECT_EQ(keys_error("[key.a]\ntype = u8\nsize = 4\n"),
	          "k.conf:3: unknown option 'size' in [key.a]: expected type or default");
	EXPECT_EQ(keys_error("[key.a]\ntype = u8\n\n[key.b]\ntype=u8\n[key.a]\ntype = u16\n"),
	          "k.conf:6: duplicate key 'a' (first declared at line 1)");
	std::string many;
	for (int i = 0; i <= TLD_MAX_KEYS; i++)
		many += "[key.k" + std::to_string(i) + "]\ntype = u8\n";
	EXPECT_EQ(keys_error(many), "k.conf:127: too many keys: at most 63 (TLD_MAX_KEYS)");
}

TEST(KeysConfig, BadOptions)
{
	const std::string key = "[key.a]\ntype = u8\n";
	EXPECT_EQ(keys_error(key + "[options]\nregistration = sometimes\n"),
	          "k.conf:4: registration: 'sometimes' is not auto, broker or direct");
	EXPECT_EQ(keys_error(key + "[options]\nsocket = run/tldd.sock\n"),
	          "k.conf:4: socket: 'run/tldd.sock' is not an absolute path");
	EXPECT_EQ(keys_error(key + "[options]\nsocket = /" + std::string(107, 's') + "\n"),
	          "k.conf:4: socket: the path is 108 bytes, a UNIX socket path holds at most 107");
	EXPECT_EQ(keys_error(key + "[options]\npin_root =\n"),
	          "k.conf:4: pin_root: '' is not an absolute path");
	EXPECT_EQ(keys_error(key + "[options]\nquiet = sure\n"),
	          "k.conf:4: quiet: 'sure' is not a bool (true/false, 1/0, yes/no, on/off)");
	EXPECT_EQ(keys_error(key + "[options]\ndyn_reserve = 5000\n"),
	          "k.conf:4: dyn_reserve: '5000' is out of range (0..4032)");
	EXPECT_EQ(keys_error(key + "[options]\ndyn_reserve = -1\n"),
	          "k.conf:4: dyn_reserve: '-1' is not a number");
	EXPECT_EQ(keys_error(key + "[options]\ndyn_reserve = 99999999999999999999999\n"),
	          "k.conf:4: dyn_reserve: '99999999999999999999999' is out of range (0..4032)");
	EXPECT_EQ(keys_error(key + "[options]\nverbose = 1\n"),
	          "k.conf:4: unknown option 'verbose' in [options]: expected registration, socket, "
	          "pin_root, quiet, dyn_reserve or start");
	EXPECT_EQ(keys_error(key + "[options]\nstart = lazy\n"),
	          "k.conf:4: start: 'lazy' is not at_exec or on_first_thread");
	EXPECT_EQ(keys_error(key + "[options]\nquiet = 1\n[options]\nquiet = 0\n"),
	          "k.conf:6: 'quiet' given twice in [options] (first at line 4)");
}

TEST(KeysConfig, BadRules)
{
	const std::string key = "[key.a]\ntype = u8\n";
	EXPECT_EQ(keys_error(key + "[rule.r]\nexe = python3\n"),
	          "k.conf:3: rule 'r': sets nothing (add set = key=value, ...)");
	EXPECT_EQ(keys_error(key + "[rule.r]\nexe =\nset = a=1\n"),
	          "k.conf:4: rule 'r': exe is empty");
	EXPECT_EQ(keys_error(key + "[rule.r]\nset =\n"), "k.conf:4: rule 'r': set is empty");
	EXPECT_EQ(
	        keys_error(key + "[rule.r]\nexe = bin/python3\nset = a=1\n"),
	        "k.conf:4: rule 'r': exe 'bin/python3' must be an absolute path or a name without "
	        "'/'");
	EXPECT_EQ(keys_error(key + "[rule.r]\nthread = a-very-long-thread-name\nset = a=1\n"),
	          "k.conf:4: rule 'r': thread 'a-very-long-thread-name' is longer than the 15 "
	          "characters the kernel keeps of a thread name, so it never matches");
	EXPECT_EQ(
	        keys_error(key + "[rule.r]\nset = a=1\nuser = root\n"),
	        "k.conf:5: unknown option 'user' in [rule.r]: expected exe, thread, start or set");
	EXPECT_EQ(keys_error(key + "[rule.r]\nset = a=1\nset = a=2\n"),
	          "k.conf:5: 'set' given twice in [rule.r] (first at line 4)");
	EXPECT_EQ(keys_error(key + "[rule.r]\nset = a=1\n[rule.r]\nset = a=2\n"),
	          "k.conf:5: duplicate rule 'r' (first declared at line 3)");
	EXPECT_EQ(keys_error(key + "[rule.r]\nset = a=1, b=2\n"),
	          "k.conf:4: rule 'r': set item 2: unknown key 'b'");
	EXPECT_EQ(keys_error(key + "[rule.r]\nset = a=300\n"),
	          "k.conf:4: rule 'r': set item 1: a: '300' is out of range for u8 (0..255)");
	EXPECT_EQ(
	        keys_error(key + "[rule.r]\nset = a=1 b=2\n"),
	        "k.conf:4: rule 'r': set item 1: a: '1 b=2' is not a valid u8 (decimal or 0x hex)");
	EXPECT_EQ(keys_error(key + "[rule.r]\nset = a=1,\n"),
	          "k.conf:4: rule 'r': set item 2: empty item, expected key=value");
	EXPECT_EQ(keys_error(key + "[rule.r]\nset = a\n"),
	          "k.conf:4: rule 'r': set item 1: 'a': expected key=value");
}

TEST(KeysConfig, RuleMayNameKeysDeclaredLater)
{
	KeysConfig c = parse("[rule.early]\nthread = io*\nset = late = 7\n[key.late]\ntype = u8\n");
	ASSERT_EQ(c.rules.size(), 1u);
	EXPECT_EQ(c.rules[0].set.at(0).key, 0u);
	EXPECT_EQ(c.rules[0].set.at(0).value, Bytes({7}));
	EXPECT_TRUE(c.uses_thread_names);
	EXPECT_FALSE(c.uses_start_symbols);
}

TEST(KeysConfig, FirstErrorInFileOrder)
{
	// A bad key after a bad option: the option (line 2) is reported, not the key.
	EXPECT_EQ(keys_error("[options]\nquiet = x\n[key.a]\ntype = zz\n"),
	          "k.conf:2: quiet: 'x' is not a bool (true/false, 1/0, yes/no, on/off)");
	EXPECT_EQ(keys_error("[key.a]\ntype = zz\n[options]\nquiet = x\n"),
	          "k.conf:2: key 'a': unknown type 'zz': expected u8, u16, u32, u64, i32, i64, "
	          "bool or "
	          "bytes:N");
}

} // namespace
} // namespace tld::config
