// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Key creation: every documented error, and the race of many threads creating keys at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <latch>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <tld/tld.h>

#include "child.h"
#include "libtld/arena.h"
#include "libtld/keys.h"
#include "test_map.h"

namespace {

TEST(Keys, BadNamesAndSizesAreInvalid)
{
	TLD_IN_CHILD([] {
		EXPECT_EQ(tld_create_key(nullptr, 8).off, -EINVAL);
		EXPECT_EQ(tld_create_key("", 8).off, -EINVAL);
		EXPECT_EQ(tld_create_key(std::string(62, 'n').c_str(), 8).off, -EINVAL);
		EXPECT_EQ(tld_create_key("zero", 0).off, -EINVAL);
		EXPECT_EQ(tld_create_key("huge", TLD_PAGE_SIZE).off, -EINVAL);
		EXPECT_GE(tld_create_key(std::string(61, 'n').c_str(), 8).off, 0);
		EXPECT_EQ(tld_find_key("nope").off, -ENOENT);
		errno = 0;
		EXPECT_EQ(tld_get_data(-1, tld_key_t{-EINVAL}), nullptr);
		EXPECT_EQ(errno, EINVAL);
	});
}

// The preload's config keys are shared: the same name and size is the same key, in either
// order; another size is refused and reported; keys the program made alone stay its own.
TEST(Keys, SharedKeysMatchByNameAndSize)
{
	TLD_IN_CHILD([] {
		static std::string seen;
		tld::keys::set_shared_hook(
		        [](const char *name, std::size_t have, std::size_t asked) {
			        seen = std::string(name) + " " + std::to_string(have) + " " +
			               std::to_string(asked);
		        });
		std::size_t existing = 0;
		tld_key_t cfg = tld::keys::create_shared("prio", 4, &existing);
		ASSERT_GE(cfg.off, 0);
		EXPECT_EQ(tld_create_key("prio", 4).off, cfg.off);
		EXPECT_EQ(seen, "prio 4 4");
		EXPECT_EQ(tld_create_key("prio", 8).off, -EEXIST);
		EXPECT_EQ(seen, "prio 4 8");

		tld_key_t own = tld_create_key("own", 8); // the program's, before the config's
		ASSERT_GE(own.off, 0);
		EXPECT_EQ(tld_create_key("own", 8).off, -EEXIST) << "a program key is not shared";
		EXPECT_EQ(tld::keys::create_shared("own", 4, &existing).off, -EEXIST);
		EXPECT_EQ(existing, 8u);
		EXPECT_EQ(tld::keys::create_shared("own", 8, &existing).off, own.off);
		EXPECT_EQ(tld_create_key("own", 8).off, own.off) << "adopted by the config: shared";
	});
}

TEST(Keys, LimitsAndValidKeysStillWork)
{
	TLD_IN_CHILD([] {
		tld::test::TestMap map;
		ASSERT_GE(map.fd(), 0) << map.error();
		std::vector<tld_key_t> keys;
		for (int i = 0; i < TLD_MAX_KEYS; i++) {
			std::string name = "key" + std::to_string(i);
			tld_key_t k = tld_create_key(name.c_str(), 8);
			ASSERT_EQ(k.off, i * 8) << name;
			keys.push_back(k);
		}
		EXPECT_EQ(tld_create_key("one-too-many", 8).off, -ENOSPC);
		EXPECT_EQ(tld_create_key("key5", 8).off, -EEXIST);
		EXPECT_EQ(tld_find_key("key7").off, 56);

		for (int i = 0; i < TLD_MAX_KEYS; i++) {
			auto *p = static_cast<std::uint64_t *>(tld_get_data(map.fd(), keys[i]));
			ASSERT_NE(p, nullptr) << strerror(errno);
			*p = 1000 + i;
		}
		for (int i = 0; i < TLD_MAX_KEYS; i++)
			EXPECT_EQ(*static_cast<std::uint64_t *>(tld_get_data(map.fd(), keys[i])),
			          std::uint64_t(1000 + i));
	});
}

TEST(Keys, TooBigBeforeAndAfterTheBlockIsFixed)
{
	TLD_IN_CHILD([] {
		tld::test::TestMap map;
		ASSERT_GE(map.fd(), 0) << map.error();
		ASSERT_EQ(tld_set_dyn_reserve(32), 0);
		tld_key_t big = tld_create_key("big", 4000);
		ASSERT_EQ(big.off, 0);
		EXPECT_EQ(tld_create_key("no-room", 100).off, -E2BIG);
		tld_key_t small = tld_create_key("small", 16);
		ASSERT_EQ(small.off, 4000);

		// The first block fixes the size: 4016 used + 32 reserve.
		ASSERT_NE(tld_get_data(map.fd(), big), nullptr) << strerror(errno);
		EXPECT_EQ(tld_set_dyn_reserve(8), -EBUSY);
		EXPECT_EQ(tld_create_key("past-reserve", 40).off, -E2BIG);
		tld_key_t late = tld_create_key("in-reserve", 32);
		ASSERT_EQ(late.off, 4016);
		auto *p = static_cast<char *>(tld_get_data(map.fd(), late));
		ASSERT_NE(p, nullptr);
		std::memset(p, 0x5a, 32);
		EXPECT_EQ(tld::arena::meta()->size, 4048);
	});
}

// 60 threads race to create 3 shared names and one name each: one winner per name, no two
// keys overlap, and the meta page says exactly what the winners were told.
void race_round()
{
	constexpr int kThreads = 60;
	const char *shared[] = {"shared0", "shared1", "shared2"};
	auto size_of = [](const std::string &name) { return 1 + name.size() * 3 % 29; };
	struct Won {
		std::string name;
		std::int16_t off;
	};
	std::vector<std::vector<Won>> won(kThreads);
	std::vector<int> eexist(kThreads);
	std::latch ready(kThreads);
	std::vector<std::thread> threads;
	for (int t = 0; t < kThreads; t++) {
		threads.emplace_back([&, t] {
			ready.arrive_and_wait(); // all start creating at once
			std::vector<std::string> names = {shared[t % 3], "own" + std::to_string(t),
			                                  shared[(t + 1) % 3], shared[(t + 2) % 3]};
			for (auto &n : names) {
				tld_key_t k = tld_create_key(n.c_str(), size_of(n));
				if (k.off >= 0)
					won[t].push_back({n, k.off});
				else if (k.off == -EEXIST)
					eexist[t]++;
				else
					ADD_FAILURE() << n << ": " << k.off;
			}
		});
	}
	for (auto &th : threads)
		th.join();

	std::map<std::string, std::int16_t> winners;
	for (auto &w : won)
		for (auto &x : w)
			EXPECT_TRUE(winners.emplace(x.name, x.off).second)
			        << "two winners: " << x.name;
	ASSERT_EQ(winners.size(), 63u);
	int losses = 0;
	for (int e : eexist)
		losses += e;
	EXPECT_EQ(losses, kThreads * 4 - 63);

	std::vector<std::pair<int, int>> spans;
	for (auto &[name, off] : winners) {
		EXPECT_EQ(tld_find_key(name.c_str()).off, off) << name;
		spans.push_back({off, off + int(TLD_ROUND_UP(size_of(name)))});
	}
	std::sort(spans.begin(), spans.end());
	for (std::size_t i = 1; i < spans.size(); i++)
		EXPECT_LE(spans[i - 1].second, spans[i].first) << "keys overlap";

	const tld_meta_u *meta = tld::arena::meta();
	ASSERT_NE(meta, nullptr);
	EXPECT_EQ(meta->cnt, 63);
	int off = 0;
	for (int i = 0; i < meta->cnt; i++) {
		std::string name(meta->metadata[i].name);
		ASSERT_TRUE(winners.count(name)) << name;
		EXPECT_EQ(winners[name], off) << name;
		EXPECT_EQ(meta->metadata[i].size, size_of(name));
		off += TLD_ROUND_UP(meta->metadata[i].size);
	}
}

TEST(Keys, ConcurrentCreationHasOneWinnerPerNameAndNoOverlap)
{
	for (int round = 0; round < 100; round++) {
		SCOPED_TRACE("round " + std::to_string(round));
		TLD_IN_CHILD(race_round);
		if (HasFailure())
			break;
	}
}

} // namespace
