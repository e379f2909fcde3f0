// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Rules and TLD_SET: which values a thread ends up with, and in which order they apply.
#include <gtest/gtest.h>

#include "helpers.h"

namespace tld::config {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr const char *kConfig = R"(
[key.prio]
type = u32
default = 100

[key.rt]
type = bool

[key.role]
type = bytes:8
default = "none"

[rule.python]
exe = python3*
set = prio = 120, role = "py"

[rule.python-workers]
exe = /usr/bin/python3*
thread = worker-*
set = rt = true, prio = 5

[rule.io]
thread = io-[0-9]*
set = role = "io", prio = 7

[rule.pool]
start = *thread_pool_main*
set = role = "pool"

[rule.everyone-last]
set = role = "last"
exe = never-this-exe
)";

KeysConfig config()
{
	auto r = parse_keys_config(kConfig, "rules.conf");
	EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message());
	return r ? std::move(r).value() : KeysConfig{};
}

struct Values {
	uint32_t prio;
	bool rt;
	std::string role;
};

Values resolve(const KeysConfig &c, const char *exe, const char *thread,
               const char *start = nullptr)
{
	Bytes out(c.packed_size, 0xaa);
	EXPECT_TRUE(resolve_values(c, ThreadFacts{exe, thread, start}, out));
	const uint8_t *p = out.data() + c.keys[0].packed_offset;
	Values v;
	v.prio = p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24;
	v.rt = out[c.keys[1].packed_offset] != 0;
	const char *role = reinterpret_cast<const char *>(out.data() + c.keys[2].packed_offset);
	v.role.assign(role, strnlen(role, 8));
	return v;
}

TEST(Rules, DefaultsWhenNothingMatches)
{
	KeysConfig c = config();
	Values v = resolve(c, "/usr/bin/xz", "xz");
	EXPECT_EQ(v.prio, 100u);
	EXPECT_FALSE(v.rt);
	EXPECT_EQ(v.role, "none");
}

TEST(Rules, LaterRulesWin)
{
	KeysConfig c = config();
	// python matches by basename; python-workers by full path and thread: it comes later, so
	// its prio wins, and role stays what python set.
	Values main = resolve(c, "/usr/bin/python3.11", "python3");
	EXPECT_EQ(main.prio, 120u);
	EXPECT_FALSE(main.rt);
	EXPECT_EQ(main.role, "py");
	Values worker = resolve(c, "/usr/bin/python3.11", "worker-3");
	EXPECT_EQ(worker.prio, 5u);
	EXPECT_TRUE(worker.rt);
	EXPECT_EQ(worker.role, "py");
	// io comes after both: it overrides prio and role from either.
	Values io = resolve(c, "/usr/bin/python3.11", "io-1");
	EXPECT_EQ(io.prio, 7u);
	EXPECT_EQ(io.role, "io");
}

TEST(Rules, ReversedOrderReversesTheWinner)
{
	auto r = parse_keys_config("[key.k]\ntype = u8\n"
	                           "[rule.b]\nthread = t*\nset = k = 2\n"
	                           "[rule.a]\nthread = t*\nset = k = 1\n",
	                           "order.conf");
	ASSERT_TRUE(r.ok());
	uint8_t out = 0;
	ASSERT_TRUE(resolve_values(r.value(), ThreadFacts{"/bin/x", "t1", nullptr}, {&out, 1}));
	EXPECT_EQ(out, 1);
}

TEST(Rules, ExePathVersusName)
{
	KeysConfig c = config();
	// A path pattern needs the whole path; /usr/local/bin/python3 does not match
	// /usr/bin/python3*.
	EXPECT_EQ(resolve(c, "/usr/local/bin/python3", "worker-1").prio, 120u);
	// A name pattern never matches a directory part.
	EXPECT_EQ(resolve(c, "/opt/python3/bin/app", "main").prio, 100u);
	Rule r;
	r.exe = "/opt/*";
	r.exe_is_path = true;
	EXPECT_TRUE(rule_matches(r, ThreadFacts{"/opt/app/bin/x", nullptr, nullptr}))
	        << "'*' crosses '/'";
}

TEST(Rules, ThreadRenameChangesTheResult)
{
	KeysConfig c = config();
	EXPECT_TRUE(c.uses_thread_names);
	EXPECT_EQ(resolve(c, "/srv/app", "app").role, "none");
	EXPECT_EQ(resolve(c, "/srv/app", "io-7").role, "io");
	EXPECT_EQ(resolve(c, "/srv/app", "io-x").role, "none") << "io-[0-9]* needs a digit";
}

TEST(Rules, StartRoutine)
{
	KeysConfig c = config();
	EXPECT_TRUE(c.uses_start_symbols);
	EXPECT_EQ(resolve(c, "/srv/app", "app", "_ZN3foo16thread_pool_mainEv").role, "pool");
	EXPECT_EQ(resolve(c, "/srv/app", "app", "worker_main").role, "none");
	EXPECT_EQ(resolve(c, "/srv/app", "app", nullptr).role, "none") << "unknown never matches";
}

TEST(Rules, UnknownFactsNeverMatchAConditionButUnconditionalRulesApply)
{
	auto r = parse_keys_config("[key.k]\ntype = u8\n[rule.all]\nset = k = 9\n"
	                           "[rule.named]\nthread = *\nset = k = 3\n",
	                           "u.conf");
	ASSERT_TRUE(r.ok());
	uint8_t out = 0;
	ASSERT_TRUE(resolve_values(r.value(), ThreadFacts{}, {&out, 1}));
	EXPECT_EQ(out, 9);
	ASSERT_TRUE(resolve_values(r.value(), ThreadFacts{nullptr, "", nullptr}, {&out, 1}));
	EXPECT_EQ(out, 3);
}

TEST(Rules, TooSmallBufferIsRefusedUntouched)
{
	KeysConfig c = config();
	Bytes out(c.packed_size - 1, 0xaa);
	EXPECT_FALSE(resolve_values(c, ThreadFacts{}, out));
	EXPECT_EQ(out, Bytes(c.packed_size - 1, 0xaa));
}

TEST(TldSet, OverridesEverything)
{
	KeysConfig c = config();
	auto set = parse_tld_set(c, " prio = 0x10 , role=\"a,b\", rt=off,prio=11");
	ASSERT_TRUE(set.ok()) << set.error().message();
	ASSERT_EQ(set.value().size(), 4u);
	c.overrides = set.value();
	Values v = resolve(c, "/usr/bin/python3", "worker-1");
	EXPECT_EQ(v.prio, 11u) << "a later item wins";
	EXPECT_FALSE(v.rt);
	EXPECT_EQ(v.role, "a,b");
}

TEST(TldSet, EmptyIsNothing)
{
	KeysConfig c = config();
	auto set = parse_tld_set(c, "");
	ASSERT_TRUE(set.ok());
	EXPECT_TRUE(set.value().empty());
}

TEST(TldSet, Errors)
{
	KeysConfig c = config();
	auto err = [&](std::string_view text) {
		auto r = parse_tld_set(c, text);
		return r ? "(parsed)" : r.error().message();
	};
	EXPECT_EQ(err("prio=1,nope=2"), "TLD_SET:2: unknown key 'nope'");
	EXPECT_EQ(err("prio=-1"), "TLD_SET:1: prio: '-1' is out of range for u32 (0..4294967295)");
	EXPECT_EQ(err("rt=1,rt=maybe"),
	          "TLD_SET:2: rt: 'maybe' is not a bool (true/false, 1/0, yes/no, on/off)");
	EXPECT_EQ(err("role=123456789"),
	          "TLD_SET:1: role: '123456789' is 9 bytes, more than bytes:8 "
	          "holds");
	EXPECT_EQ(err("prio=1,,rt=1"), "TLD_SET:2: empty item, expected key=value");
	EXPECT_EQ(err("prio"), "TLD_SET:1: 'prio': expected key=value");
	EXPECT_EQ(err("role=\"abc"), "TLD_SET:1: unterminated quote");
	EXPECT_EQ(err("prio="), "TLD_SET:1: prio: empty value for u32");
}

} // namespace
} // namespace tld::config
