// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tld.bpf.h against hand-built pages: exact answers for consistent pages, and for garbage
// (counts past the maximum, sizes past the page, names without a terminator, a key being added
// while BPF reads) either NULL or a pointer inside the thread's own block and page.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "manual_pages.h"
#include "test_object.h"

namespace tld::test {
namespace {

constexpr std::uint32_t kIntSize = sizeof(int);

std::string generic_name(unsigned i)
{
	char buf[8];
	std::snprintf(buf, sizeof(buf), "k%02u", i);
	return buf;
}

std::uint64_t round8(std::uint64_t x)
{
	return (x + 7) & ~std::uint64_t{7};
}

// What a fresh (uncached) tld_get_data(@name, @req) must return: the contract in tld.bpf.h.
struct Want {
	bool found = false;
	std::uint32_t off = 0; // from the page base
};

Want model(const tld_meta_u &meta, std::uint16_t start, const std::string &name, std::uint32_t req)
{
	unsigned cnt = std::min<unsigned>(meta.cnt, TLD_MAX_KEYS);
	std::uint64_t off = 0;

	for (unsigned i = 0; i < cnt; i++) {
		const tld_metadata &m = meta.metadata[i];
		if (!m.size)
			return {}; // being published: later offsets unknown
		if (std::memcmp(m.name, name.c_str(), name.size() + 1) == 0) {
			if (m.size < req || off + req > meta.size ||
			    start + off + req > TLD_PAGE_SIZE)
				return {};
			return {true, static_cast<std::uint32_t>(start + off)};
		}
		off += round8(m.size);
		if (off >= TLD_PAGE_SIZE)
			return {};
	}
	return {};
}

class CorruptMeta : public ::testing::TestWithParam<const Flavour *> {
protected:
	void SetUp() override
	{
		std::string error;
		obj_ = TestObject::load(*GetParam(), &error);
		ASSERT_TRUE(obj_) << error;
		reg_ = std::make_unique<Registration>(obj_->data_map_fd());
		ASSERT_TRUE(reg_->ok()) << reg_->error();
		// Distinct bytes everywhere, so a value read at the wrong place shows.
		for (unsigned i = 0; i < TLD_PAGE_SIZE; i++)
			data_.bytes()[i] = static_cast<char>(i * 7 + 3);
	}

	void TearDown() override { reg_.reset(); }

	tld_meta_u *meta() { return meta_.meta(); }

	// A consistent page: k_int1, k_int2, k_blob, then k00..k59 of 8 bytes.
	void valid_layout()
	{
		std::memset(meta(), 0, TLD_PAGE_SIZE);
		set_key(meta(), 0, "k_int1", kIntSize);
		set_key(meta(), 1, "k_int2", kIntSize);
		set_key(meta(), 2, "k_blob", TLD_TEST_BLOB_SIZE);
		for (unsigned i = 0; i < 60; i++)
			set_key(meta(), 3 + i, generic_name(i), 8);
		meta()->cnt = 63;
		meta()->size = 8 + 8 + 32 + 60 * 8;
	}

	// Registers again (a new map value, so BPF's cache tags no longer match) and drops the
	// cache entry too: the next read looks every key up afresh.
	void fresh(std::uint16_t start)
	{
		start_ = start;
		ASSERT_EQ(reg_->update(meta_, data_, start), 0);
		ASSERT_EQ(reg_->clear_cache(obj_->key_map_fd()), 0);
		ASSERT_EQ(reg_->clear_cache(obj_->consumer_map_fd()), 0);
		ASSERT_EQ(reg_->clear_cache(obj_->consumer_value_map_fd()), 0);
	}

	void run(tld_test_ctx *named, tld_test_ctx *generic)
	{
		ASSERT_EQ(obj_->read_named(named), 0) << take_libbpf_log();
		ASSERT_EQ(obj_->read_generic(generic), 0) << take_libbpf_log();
		ASSERT_EQ(named->init_err, 0);
		ASSERT_EQ(generic->init_err, 0);
	}

	void check_one(const tld_test_read &r, const tld_meta_u &snap, const std::string &name,
	               std::uint32_t req, bool exact, const std::string &what)
	{
		SCOPED_TRACE(what + ", key " + name + ", start " + std::to_string(start_));
		if (exact) {
			Want w = model(snap, start_, name, req);
			EXPECT_EQ(static_cast<bool>(r.found), w.found);
			if (r.found && w.found) {
				EXPECT_EQ(r.off, w.off);
			}
		}
		if (!r.found)
			return;
		// The contract for any page content: inside the block and inside the page.
		EXPECT_GE(r.off, start_);
		EXPECT_LE(r.off + req, static_cast<std::uint32_t>(start_) + snap.size);
		EXPECT_LE(r.off + req, TLD_PAGE_SIZE);
		if (r.off + req <= TLD_PAGE_SIZE) {
			EXPECT_EQ(std::memcmp(r.value, data_.bytes() + r.off, std::min(req, 32u)),
			          0)
			        << "BPF read other bytes than the page holds at its offset";
		}
	}

	// The four named keys of one read.
	void check_named(const tld_test_ctx &c, const tld_meta_u &snap, bool exact,
	                 const std::string &what)
	{
		check_one(c.int1, snap, "k_int1", kIntSize, exact, what);
		check_one(c.int2, snap, "k_int2", kIntSize, exact, what);
		check_one(c.blob, snap, "k_blob", TLD_TEST_BLOB_SIZE, exact, what);
		check_one(c.longest, snap, TLD_TEST_LONG_NAME, 8, exact, what);
	}

	// Runs all programs and checks every key: against the model when @exact (fresh cache,
	// pages not changing), otherwise only the bounds.
	void check(bool exact, const std::string &what)
	{
		tld_meta_u snap;
		std::memcpy(&snap, meta(), sizeof(snap));
		tld_test_ctx named, generic;
		run(&named, &generic);
		check_named(named, snap, exact, what);

		// The same reads through tld_object_init_cache(): same answers.
		tld_test_ctx cached;
		ASSERT_EQ(obj_->read_named_cache(&cached), 0);
		ASSERT_EQ(cached.init_err, 0);
		check_named(cached, snap, exact, what + " (consumer's cache)");

		// And through tld_object_init_value(), tld_data_map looked up by the program.
		tld_test_ctx value;
		ASSERT_EQ(obj_->read_named_value(&value), 0);
		ASSERT_EQ(value.init_err, 0);
		check_named(value, snap, exact, what + " (map value passed in)");
		for (unsigned i = 0; i < TLD_TEST_GENERIC_KEYS; i++)
			check_one(generic.keys[i], snap, generic_name(i), TLD_TEST_GENERIC_SIZE,
			          exact, what);
	}

	std::unique_ptr<TestObject> obj_;
	std::unique_ptr<Registration> reg_;
	Page meta_, data_;
	std::uint16_t start_ = 0;
};

TEST_P(CorruptMeta, ValidLayoutExactAndCached)
{
	valid_layout();
	ASSERT_NO_FATAL_FAILURE(fresh(8));
	check(true, "fresh");
	check(true, "cached"); // same answers from the cache, absent keys included
	tld_test_ctx named, generic;
	run(&named, &generic);
	EXPECT_TRUE(named.int1.found && named.int2.found && named.blob.found);
	EXPECT_EQ(named.blob.off, 8u + 16u);
	EXPECT_EQ(generic.keys[59].off, 8u + 48u + 59u * 8u);
	EXPECT_FALSE(generic.keys[60].found);
}

TEST_P(CorruptMeta, CountBeyondMaximum)
{
	for (unsigned cnt : {64u, 100u, 40000u, 65535u}) {
		valid_layout();
		meta()->cnt = static_cast<__u16>(cnt);
		ASSERT_NO_FATAL_FAILURE(fresh(8));
		check(true, "cnt " + std::to_string(cnt));
		check(true, "cnt " + std::to_string(cnt) + " cached");
	}
}

TEST_P(CorruptMeta, CountBeyondPublishedEntries)
{
	valid_layout();
	std::memset(&meta()->metadata[20], 0, sizeof(tld_metadata) * (TLD_MAX_KEYS - 20));
	ASSERT_NO_FATAL_FAILURE(fresh(8));
	check(true, "entries 20.. zeroed");
}

TEST_P(CorruptMeta, SizesOverflowThePage)
{
	for (std::uint16_t big : {65535, 4096, 4089, 4000}) {
		valid_layout();
		set_key(meta(), 3, generic_name(0), big);
		meta()->size = 65535;
		ASSERT_NO_FATAL_FAILURE(fresh(8));
		check(true, "k00 of size " + std::to_string(big));
	}
	valid_layout();
	for (unsigned i = 3; i < TLD_MAX_KEYS; i++)
		meta()->metadata[i].size = 1000; // the sum passes the page after 4 keys
	meta()->size = 65535;
	ASSERT_NO_FATAL_FAILURE(fresh(0));
	check(true, "sum past the page");
}

TEST_P(CorruptMeta, BlockCrossesPageEnd)
{
	for (std::uint16_t start : {4000, 4088, 4095, 4096, 65535}) {
		valid_layout();
		meta()->size = 4096;
		ASSERT_NO_FATAL_FAILURE(fresh(start));
		check(true, "block at the page end");
	}
}

TEST_P(CorruptMeta, BlockSizeSmallerThanKeys)
{
	for (std::uint16_t size : {0, 4, 8, 20, 48, 60}) {
		valid_layout();
		meta()->size = size;
		ASSERT_NO_FATAL_FAILURE(fresh(8));
		check(true, "meta size " + std::to_string(size));
	}
}

TEST_P(CorruptMeta, NamesWithoutTerminator)
{
	valid_layout();
	set_key(meta(), 3, "k00" + std::string(59, 'x'), 8); // 62 bytes, no NUL
	set_key(meta(), 4, std::string("k01\0junk", 8), 8);  // NUL, then garbage: matches
	std::string repeat;
	while (repeat.size() < TLD_NAME_LEN)
		repeat += "k02";
	set_key(meta(), 5, repeat, 8);                             // no NUL anywhere
	set_key(meta(), 6, "k03Z", 8);                             // longer name, same prefix
	set_key(meta(), 7, "k_int", 8);                            // shorter name, same prefix
	std::memset(meta()->metadata[8].name, 0xff, TLD_NAME_LEN); // not even ASCII
	set_key(meta(), 9, TLD_TEST_LONG_NAME "X", 8);             // the longest name, unterminated
	ASSERT_NO_FATAL_FAILURE(fresh(8));
	check(true, "unterminated longest name");
	tld_test_ctx first, ignored;
	run(&first, &ignored);
	EXPECT_FALSE(first.longest.found);
	set_key(meta(), 10, TLD_TEST_LONG_NAME, 8); // and properly terminated, later
	ASSERT_NO_FATAL_FAILURE(fresh(8));
	check(true, "unterminated names");
	tld_test_ctx named, generic;
	run(&named, &generic);
	EXPECT_FALSE(generic.keys[0].found);
	EXPECT_TRUE(generic.keys[1].found);
	EXPECT_FALSE(generic.keys[2].found);
	EXPECT_FALSE(generic.keys[3].found);
	EXPECT_TRUE(named.longest.found);
	EXPECT_EQ(named.longest.off, 8u + 48u + 7u * 8u);
}

TEST_P(CorruptMeta, KeySmallerThanRequest)
{
	valid_layout();
	meta()->metadata[3 + 3].size = 4; // k03 is 4 bytes; the programs ask for 8
	ASSERT_NO_FATAL_FAILURE(fresh(8));
	check(true, "short key");
	tld_test_ctx named, generic;
	run(&named, &generic);
	EXPECT_FALSE(generic.keys[3].found);
	EXPECT_TRUE(generic.keys[4].found);
}

TEST_P(CorruptMeta, UnpublishedKeyEndsTheWalk)
{
	valid_layout();
	meta()->metadata[3 + 5].size = 0; // k05 is being added
	ASSERT_NO_FATAL_FAILURE(fresh(8));
	check(true, "k05 unpublished");
	tld_test_ctx named, generic;
	run(&named, &generic);
	EXPECT_TRUE(generic.keys[4].found);
	EXPECT_FALSE(generic.keys[5].found);
	EXPECT_FALSE(generic.keys[6].found);
}

// Cached offsets are hints: after the page changes under the same registration, every answer
// is checked against the current block size and page again.
TEST_P(CorruptMeta, StaleCacheIsRechecked)
{
	valid_layout();
	ASSERT_NO_FATAL_FAILURE(fresh(8));
	check(true, "warm the cache");

	meta()->size = 16; // only k_int1 and k_int2 fit now
	check(true, "block shrunk under a warm cache");
	tld_test_ctx named, generic;
	run(&named, &generic);
	EXPECT_TRUE(named.int2.found);
	EXPECT_FALSE(named.blob.found);

	std::mt19937 rng(7);
	for (int round = 0; round < 50; round++) {
		for (unsigned i = 0; i < TLD_MAX_KEYS; i++)
			meta()->metadata[i].size = static_cast<__u16>(rng());
		meta()->size = static_cast<__u16>(rng());
		meta()->cnt = static_cast<__u16>(rng() % 80);
		check(false, "rewritten under a warm cache");
	}
}

// Random pages: a fresh registration must match the model exactly; a further rewrite under the
// warm cache must stay in bounds.
TEST_P(CorruptMeta, RandomGarbage)
{
	const unsigned seed = 20260214;
	std::mt19937 gen(seed);
	auto rng = [&] { return static_cast<unsigned>(gen()); };
	auto pick = [&](std::initializer_list<unsigned> v) {
		return *(v.begin() + rng() % v.size());
	};
	const std::string named[4] = {"k_int1", "k_int2", "k_blob", TLD_TEST_LONG_NAME};

	for (int iter = 0; iter < 1500; iter++) {
		SCOPED_TRACE("seed " + std::to_string(seed) + " iteration " + std::to_string(iter));
		std::memset(meta(), 0, TLD_PAGE_SIZE);
		std::uint64_t sum = 0;
		for (unsigned i = 0; i < TLD_MAX_KEYS; i++) {
			std::string name;
			switch (rng() % 6) {
			case 0:
				name = named[rng() % 4];
				break;
			case 1:
				name = generic_name(rng() % 63) + std::string(1, '\0') + "junk";
				break;
			case 2:
				for (unsigned j = 0; j < TLD_NAME_LEN; j++)
					name += static_cast<char>(rng());
				break;
			default:
				name = generic_name(rng() % 63);
			}
			std::uint16_t size = static_cast<std::uint16_t>(
			        pick({1, 4, 8, 8, 8, 16, 32, 100, 4000, 65535, rng() % 65536,
			              1 + rng() % 64}));
			if (rng() % 40 == 0)
				size = 0;
			set_key(meta(), i, name, size);
			sum += round8(size);
		}
		meta()->cnt = static_cast<__u16>(
		        pick({rng() % 64, rng() % 64, 63, rng() % 70, 65535, rng() % 65536}));
		meta()->size = static_cast<__u16>(
		        pick({static_cast<unsigned>(std::min<std::uint64_t>(sum, 65535)),
		              rng() % 4097, 65535, rng() % 65536}));
		std::uint16_t start = static_cast<std::uint16_t>(
		        pick({8, 0, (rng() % 512) * 8, 4088, 4095, rng() % 65536}));
		ASSERT_NO_FATAL_FAILURE(fresh(start));
		check(true, "random page");

		for (int n = 0; n < 8; n++) // rewrite some bytes behind BPF's back
			meta_.bytes()[rng() % sizeof(tld_meta_u)] = static_cast<char>(rng());
		check(false, "random page rewritten");
		if (HasFailure())
			break;
	}
}

// A key is added (size 0, name, then size) and removed again, over and over, while this thread
// reads: the stable keys keep their exact offsets and the moving slot is NULL or in place.
TEST_P(CorruptMeta, KeyAddedWhileReading)
{
	std::memset(meta(), 0, TLD_PAGE_SIZE);
	for (unsigned i = 0; i < 10; i++)
		set_key(meta(), i, generic_name(i), 8);
	meta()->cnt = 10;
	meta()->size = 11 * 8;
	ASSERT_NO_FATAL_FAILURE(fresh(64));

	std::atomic<bool> stop{false};
	std::thread writer([&] {
		tld_meta_u *m = meta();
		std::atomic_ref<__u16> cnt(m->cnt), size10(m->metadata[10].size);
		for (unsigned round = 0; !stop.load(std::memory_order_relaxed); round++) {
			size10.store(0, std::memory_order_relaxed);
			cnt.store(11, std::memory_order_release);
			std::string name = generic_name(10 + round % 2); // k10 or k11 in slot 10
			for (size_t j = 0; j < TLD_NAME_LEN; j++)
				m->metadata[10].name[j] = j < name.size() ? name[j] : 0;
			size10.store(8, std::memory_order_release);
			if (round % 3 == 0) { // and sometimes take it away again
				cnt.store(10, std::memory_order_release);
				size10.store(0, std::memory_order_relaxed);
			}
		}
	});

	for (int iter = 0; iter < 3000 && !HasFailure(); iter++) {
		tld_test_ctx generic;
		ASSERT_EQ(obj_->read_generic(&generic), 0);
		for (unsigned i = 0; i < 10; i++) {
			ASSERT_TRUE(generic.keys[i].found) << "k" << i << " iteration " << iter;
			ASSERT_EQ(generic.keys[i].off, 64u + i * 8);
		}
		for (unsigned i = 10; i < 12; i++)
			if (generic.keys[i].found) {
				ASSERT_EQ(generic.keys[i].off, 64u + 80u) << "k" << i;
			}
		for (unsigned i = 12; i < TLD_TEST_GENERIC_KEYS; i++)
			ASSERT_FALSE(generic.keys[i].found);
	}
	stop = true;
	writer.join();
}

// Two threads of one process, one meta page, a data page each (one block a page, abi.h): each
// reads its own page, at its own start word, whatever the other thread's says.
TEST_P(CorruptMeta, ThreadsOfOneProcessSeeTheirOwnPage)
{
	valid_layout();
	ASSERT_NO_FATAL_FAILURE(fresh(8));
	Page other_data;
	for (std::uint16_t other_start :
	     {std::uint16_t{8}, std::uint16_t{64}, std::uint16_t{4095}}) {
		SCOPED_TRACE("other start " + std::to_string(other_start));
		tld_test_ctx other_named{}, other_generic{};
		std::string other_error;
		std::thread other([&] {
			Registration reg(obj_->data_map_fd());
			if (!reg.ok() || reg.update(meta_, other_data, other_start)) {
				other_error = "cannot register the second thread";
				return;
			}
			if (obj_->read_named(&other_named) || obj_->read_generic(&other_generic))
				other_error = "BPF_PROG_TEST_RUN failed";
		});
		other.join();
		ASSERT_EQ(other_error, "");

		tld_test_ctx named, generic;
		run(&named, &generic);
		EXPECT_EQ(named.blob.off, 8u + 16u);
		for (unsigned i = 0; i < 60; i++)
			EXPECT_EQ(generic.keys[i].off, 8u + 48u + i * 8u);
		bool fits = other_start + meta()->size <= TLD_PAGE_SIZE;
		EXPECT_EQ(static_cast<bool>(other_named.blob.found), fits);
		if (fits) {
			EXPECT_EQ(other_named.blob.off, other_start + 16u);
		}
	}
}

INSTANTIATE_TEST_SUITE_P(Flavours, CorruptMeta,
                         ::testing::Values(&kFlavours[0], &kFlavours[1], &kFlavours[2]),
                         [](const auto &p) { return std::string(p.param->name); });

} // namespace
} // namespace tld::test
