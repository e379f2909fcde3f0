// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// libtld and tld.bpf.h together: what threads store through tld_get_data() is what a BPF
// program running in that thread reads, under many threads, at the key limits, and while
// threads race to create keys. Every test body runs in a fresh child process (child.h).
#include <gtest/gtest.h>

#include <tld/abi.h>
#include <tld/tld.h>

#include <algorithm>
#include <barrier>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "child.h"
#include "test_object.h"

namespace tld::test {
namespace {

std::string generic_name(unsigned i)
{
	char buf[8];
	std::snprintf(buf, sizeof(buf), "k%02u", i);
	return buf;
}

// The offset of a user pointer within its page: what the BPF side reports as p - page base.
std::uint32_t page_off(const void *p)
{
	return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(p) &
	                                  (TLD_PAGE_SIZE - 1));
}

// Collects failures from many threads of a child.
class Failures {
public:
	template <typename... Args> void add(const Args &...args)
	{
		std::ostringstream s;
		(s << ... << args);
		std::lock_guard<std::mutex> lock(mutex_);
		if (text_.size() < 8192)
			text_ += s.str() + "\n";
	}
	std::string text()
	{
		std::lock_guard<std::mutex> lock(mutex_);
		return text_;
	}

private:
	std::mutex mutex_;
	std::string text_;
};

class LibtldBpf : public ::testing::TestWithParam<const Flavour *> {
protected:
	void SetUp() override
	{
		std::string error;
		obj_ = TestObject::load(*GetParam(), &error);
		ASSERT_TRUE(obj_) << error;
	}

	std::unique_ptr<TestObject> obj_;
};

struct Blob {
	std::uint8_t bytes[TLD_TEST_BLOB_SIZE];
};

Blob blob_for(unsigned thread, unsigned version)
{
	Blob b;
	for (unsigned i = 0; i < sizeof(b.bytes); i++)
		b.bytes[i] = static_cast<std::uint8_t>(thread * 31 + version * 7 + i);
	return b;
}

// 32 threads, 3 keys each (int, int, 32-byte struct): each thread's BPF run sees exactly its
// own values, before and after it changes them.
TEST_P(LibtldBpf, ThirtyTwoThreadsSeeTheirOwnValues)
{
	const TestObject &obj = *obj_;
	std::string out = run_in_child([&obj]() -> std::string {
		constexpr unsigned kThreads = 32;
		tld_key_t k1 = tld_create_key("k_int1", sizeof(int));
		tld_key_t k2 = tld_create_key("k_int2", sizeof(int));
		tld_key_t kb = tld_create_key("k_blob", sizeof(Blob));
		if (tld_key_is_err(k1) || tld_key_is_err(k2) || tld_key_is_err(kb))
			return "tld_create_key failed";

		Failures fail;
		std::barrier sync(kThreads);
		auto check = [&](unsigned t, unsigned version, int a, int b, const Blob &blob,
		                 const void *pa, const void *pb, const void *pblob) {
			tld_test_ctx ctx;
			if (int err = obj.read_named(&ctx)) {
				fail.add("thread ", t,
				         ": BPF_PROG_TEST_RUN: ", std::strerror(-err));
				return;
			}
			if (ctx.init_err || ctx.tid != static_cast<__u32>(gettid()))
				fail.add("thread ", t, ": init_err ", ctx.init_err, " tid ",
				         ctx.tid);
			if (!ctx.int1.found || static_cast<int>(ctx.int1.value[0]) != a ||
			    ctx.int1.off != page_off(pa))
				fail.add("thread ", t, " v", version, ": k_int1 found ",
				         ctx.int1.found, " value ",
				         static_cast<int>(ctx.int1.value[0]), " want ", a);
			if (!ctx.int2.found || static_cast<int>(ctx.int2.value[0]) != b ||
			    ctx.int2.off != page_off(pb))
				fail.add("thread ", t, " v", version, ": k_int2 found ",
				         ctx.int2.found, " value ",
				         static_cast<int>(ctx.int2.value[0]), " want ", b);
			if (!ctx.blob.found ||
			    std::memcmp(ctx.blob.value, blob.bytes, sizeof(blob)) ||
			    ctx.blob.off != page_off(pblob))
				fail.add("thread ", t, " v", version, ": k_blob differs");
			// The consumer-owned cache (tld_object_init_cache()) sees the same.
			tld_test_ctx cached;
			if (obj.read_named_cache(&cached) || cached.init_err ||
			    std::memcmp(&cached.int1, &ctx.int1, 3 * sizeof(ctx.int1)))
				fail.add("thread ", t, " v", version, ": read_named_cache differs");
			// And so does tld_object_init_value() with the program's own lookup.
			tld_test_ctx value;
			if (obj.read_named_value(&value) || value.init_err ||
			    std::memcmp(&value.int1, &ctx.int1, 3 * sizeof(ctx.int1)))
				fail.add("thread ", t, " v", version, ": read_named_value differs");
		};

		std::vector<std::thread> threads;
		for (unsigned t = 0; t < kThreads; t++) {
			threads.emplace_back([&, t] {
				int *a = static_cast<int *>(tld_get_data(obj.data_map_fd(), k1));
				int *b = static_cast<int *>(tld_get_data(obj.data_map_fd(), k2));
				auto *blob =
				        static_cast<Blob *>(tld_get_data(obj.data_map_fd(), kb));
				if (!a || !b || !blob) {
					fail.add("thread ", t,
					         ": tld_get_data: ", std::strerror(errno));
					sync.arrive_and_drop();
					return;
				}
				*a = static_cast<int>(t * 1000 + 1);
				*b = static_cast<int>(t * 1000 + 2);
				*blob = blob_for(t, 0);
				sync.arrive_and_wait(); // every thread has written
				check(t, 0, *a, *b, *blob, a, b, blob);
				sync.arrive_and_wait(); // every thread has checked
				*a = static_cast<int>(t * 1000 + 11);
				*b = -static_cast<int>(t);
				*blob = blob_for(t, 1);
				sync.arrive_and_wait();
				check(t, 1, *a, *b, *blob, a, b, blob);
			});
		}
		for (auto &th : threads)
			th.join();
		return fail.text();
	});
	EXPECT_EQ(out, "");
}

// The limits: -EINVAL, -EEXIST, -E2BIG, -ENOSPC; every valid key keeps working and BPF sees it.
TEST_P(LibtldBpf, KeyLimits)
{
	const TestObject &obj = *obj_;
	std::string out = run_in_child([&obj]() -> std::string {
		Failures fail;
		auto expect_err = [&](const char *what, tld_key_t k, int err) {
			if (k.off != err)
				fail.add(what, ": got ", k.off, ", want ", err);
		};
		std::vector<tld_key_t> keys;
		for (unsigned i = 0; i < 10; i++)
			keys.push_back(tld_create_key(generic_name(i).c_str(), 8));

		expect_err("empty name", tld_create_key("", 8), -EINVAL);
		expect_err("NULL name", tld_create_key(nullptr, 8), -EINVAL);
		expect_err("62-character name", tld_create_key(std::string(62, 'n').c_str(), 8),
		           -EINVAL);
		expect_err("size 0", tld_create_key("zero", 0), -EINVAL);
		expect_err("size past a block", tld_create_key("huge", TLD_PAGE_SIZE), -EINVAL);
		expect_err("duplicate", tld_create_key("k03", 8), -EEXIST);
		expect_err("duplicate, other size", tld_create_key("k03", 16), -EEXIST);
		// Fits the size check but not what is left of a block (8 bytes short).
		expect_err("too big for what is left",
		           tld_create_key("big", TLD_PAGE_SIZE - 8 - 10 * 8 + 8), -E2BIG);

		tld_key_t longest = tld_create_key(TLD_TEST_LONG_NAME, 8);
		for (unsigned i = 10; i < 62; i++)
			keys.push_back(tld_create_key(generic_name(i).c_str(), 8));
		expect_err("64th key", tld_create_key(generic_name(62).c_str(), 8), -ENOSPC);
		expect_err("64th key, other name", tld_create_key("more", 1), -ENOSPC);

		for (unsigned i = 0; i < keys.size(); i++)
			if (keys[i].off != static_cast<int>(i < 10 ? i * 8 : (i + 1) * 8))
				fail.add(generic_name(i), ": offset ", keys[i].off);
		if (longest.off != 80)
			fail.add("longest name: offset ", longest.off);
		if (!fail.text().empty())
			return fail.text();

		const int map_fd = obj.data_map_fd();
		std::vector<std::uint64_t *> ptrs;
		for (unsigned i = 0; i < keys.size(); i++) {
			auto *p = static_cast<std::uint64_t *>(tld_get_data(map_fd, keys[i]));
			if (!p)
				return "tld_get_data(" + generic_name(i) +
				       "): " + std::strerror(errno);
			*p = 0x1000 + i;
			ptrs.push_back(p);
		}
		auto *plong = static_cast<std::uint64_t *>(tld_get_data(map_fd, longest));
		if (!plong)
			return std::string("tld_get_data(longest): ") + std::strerror(errno);
		*plong = 0xabcdef;
		if (tld_get_data(map_fd, tld_key_t{-ENOSPC}) || errno != EINVAL)
			fail.add("tld_get_data(error key) did not fail with EINVAL");

		tld_test_ctx generic, named;
		if (obj.read_generic(&generic) || obj.read_named(&named))
			return "BPF_PROG_TEST_RUN failed";
		for (unsigned i = 0; i < keys.size(); i++) {
			const tld_test_read &r = generic.keys[i];
			if (!r.found || r.value[0] != 0x1000 + i || r.off != page_off(ptrs[i]))
				fail.add("BPF ", generic_name(i), ": found ", r.found, " value ",
				         r.value[0], " off ", r.off, " want ", page_off(ptrs[i]));
		}
		if (generic.keys[62].found)
			fail.add("BPF found k62, which was refused");
		if (!named.longest.found || named.longest.value[0] != 0xabcdef ||
		    named.longest.off != page_off(plong))
			fail.add("BPF: longest name not seen");
		return fail.text();
	});
	EXPECT_EQ(out, "");
}

// After the first block exists, a new key must fit the reserve (64 bytes by default).
TEST_P(LibtldBpf, DynamicKeysFitTheReserve)
{
	const TestObject &obj = *obj_;
	std::string out = run_in_child([&obj]() -> std::string {
		Failures fail;
		tld_key_t k0 = tld_create_key("k00", 8);
		auto *p0 = static_cast<std::uint64_t *>(tld_get_data(obj.data_map_fd(), k0));
		if (!p0)
			return std::string("tld_get_data(k00): ") + std::strerror(errno);
		*p0 = 100;
		tld_key_t over = tld_create_key("k01", TLD_DEFAULT_DYN_RESERVE + 1);
		if (over.off != -E2BIG)
			fail.add("key past the reserve: ", over.off, ", want -E2BIG");
		tld_key_t k1 = tld_create_key("k01", TLD_DEFAULT_DYN_RESERVE);
		if (k1.off != 8)
			return "k01 (the whole reserve): offset " + std::to_string(k1.off);
		auto *p1 = static_cast<std::uint64_t *>(tld_get_data(obj.data_map_fd(), k1));
		if (!p1)
			return std::string("tld_get_data(k01): ") + std::strerror(errno);
		*p1 = 101;
		tld_test_ctx ctx;
		if (obj.read_generic(&ctx))
			return "BPF_PROG_TEST_RUN failed";
		if (!ctx.keys[0].found || ctx.keys[0].value[0] != 100 || !ctx.keys[1].found ||
		    ctx.keys[1].value[0] != 101 || ctx.keys[1].off != page_off(p1))
			fail.add("BPF does not see k00 and k01");
		return fail.text();
	});
	EXPECT_EQ(out, "");
}

// 60 threads create the same 40 keys at once, each in its own order; 100 rounds, each in a
// fresh process. One winner per name, no two keys overlap, and BPF sees every key in every
// thread.
TEST_P(LibtldBpf, ConcurrentKeyCreation)
{
	constexpr unsigned kThreads = 60, kNames = 40, kRounds = 100;
	const TestObject &obj = *obj_;
	for (unsigned round = 0; round < kRounds; round++) {
		std::string out = run_in_child([&obj]() -> std::string {
			Failures fail;
			auto size_of = [](unsigned name) { return 8u * (1 + name % 3); };
			std::vector<std::vector<int>> result(kThreads, std::vector<int>(kNames));
			std::barrier sync(kThreads);
			std::vector<std::thread> threads;
			for (unsigned t = 0; t < kThreads; t++) {
				threads.emplace_back([&, t] {
					sync.arrive_and_wait(); // all start creating together
					for (unsigned j = 0; j < kNames; j++) {
						unsigned n = (t * 7 + j) % kNames;
						result[t][n] =
						        tld_create_key(generic_name(n).c_str(),
						                       size_of(n))
						                .off;
					}
					sync.arrive_and_wait(); // every key exists
					std::uint64_t *p[kNames];
					for (unsigned n = 0; n < kNames; n++) {
						tld_key_t k = tld_find_key(generic_name(n).c_str());
						p[n] = static_cast<std::uint64_t *>(
						        tld_get_data(obj.data_map_fd(), k));
						if (!p[n]) {
							fail.add("thread ", t, ": no data for ",
							         generic_name(n));
							return;
						}
						*p[n] = (std::uint64_t{t} << 16) | n;
					}
					tld_test_ctx ctx;
					if (obj.read_generic(&ctx)) {
						fail.add("thread ", t,
						         ": BPF_PROG_TEST_RUN failed");
						return;
					}
					for (unsigned n = 0; n < TLD_TEST_GENERIC_KEYS; n++) {
						const tld_test_read &r = ctx.keys[n];
						if (n >= kNames) {
							if (r.found)
								fail.add("BPF found ",
								         generic_name(n));
							continue;
						}
						if (!r.found || r.value[0] != *p[n] ||
						    r.off != page_off(p[n]))
							fail.add("thread ", t, ": BPF ",
							         generic_name(n), " found ",
							         r.found, " value ", r.value[0],
							         " want ", *p[n]);
					}
				});
			}
			for (auto &th : threads)
				th.join();

			std::vector<std::pair<int, unsigned>> spans; // offset, name
			for (unsigned n = 0; n < kNames; n++) {
				unsigned winners = 0;
				for (unsigned t = 0; t < kThreads; t++) {
					int r = result[t][n];
					if (r >= 0) {
						winners++;
						spans.emplace_back(r, n);
					} else if (r != -EEXIST) {
						fail.add(generic_name(n), ": thread ", t, " got ",
						         r);
					}
				}
				if (winners != 1)
					fail.add(generic_name(n), ": ", winners, " winners");
			}
			std::sort(spans.begin(), spans.end());
			for (size_t i = 1; i < spans.size(); i++)
				if (spans[i - 1].first +
				            static_cast<int>(size_of(spans[i - 1].second)) >
				    spans[i].first)
					fail.add(generic_name(spans[i - 1].second), " overlaps ",
					         generic_name(spans[i].second));
			return fail.text();
		});
		ASSERT_EQ(out, "") << "round " << round;
	}
}

INSTANTIATE_TEST_SUITE_P(Flavours, LibtldBpf,
                         ::testing::Values(&kFlavours[0], &kFlavours[1], &kFlavours[2]),
                         [](const auto &p) { return std::string(p.param->name); });

} // namespace
} // namespace tld::test
