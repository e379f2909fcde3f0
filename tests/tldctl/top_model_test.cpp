// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The histogram arithmetic of tldctl top, against the slot layout tldctl_top.bpf.c writes.
#include <gtest/gtest.h>

#include "tldctl/top_model.h"

namespace tld::ctl {
namespace {

// The slot tldctl_top.bpf.c's account_wait() picks, restated.
unsigned slot_of(uint64_t ns)
{
	if (ns < 4)
		return unsigned(ns);
	unsigned msb = 63 - unsigned(__builtin_clzll(ns));
	unsigned slot = (msb - 1) * 4 + unsigned((ns >> (msb - 2)) & 3);
	return slot < TLDCTL_TOP_HIST_SLOTS ? slot : TLDCTL_TOP_HIST_SLOTS - 1;
}

TEST(TopModel, SlotsTileTheRangeWithoutGaps)
{
	for (unsigned s = 0; s + 1 < TLDCTL_TOP_HIST_SLOTS; s++) {
		EXPECT_EQ(hist_slot_low(s) + hist_slot_width(s), hist_slot_low(s + 1)) << s;
		EXPECT_EQ(slot_of(hist_slot_low(s)), s);
		EXPECT_EQ(slot_of(hist_slot_low(s + 1) - 1), s);
	}
}

TEST(TopModel, PercentilesAreWithinTheSlotPrecision)
{
	ClassStats c;
	// 1000 samples: 1 us .. 1000 us.
	for (uint64_t i = 1; i <= 1000; i++)
		c.hist[slot_of(i * 1000)]++;
	EXPECT_NEAR(double(percentile(c, 0.5)), 500e3, 500e3 * 0.125);
	EXPECT_NEAR(double(percentile(c, 0.99)), 990e3, 990e3 * 0.125);
	EXPECT_EQ(percentile(ClassStats{}, 0.5), 0u);
}

TEST(TopModel, DiffSubtractsPerClass)
{
	Snapshot a, b;
	a[{true, 1}].cpu_ns = 10;
	b[{true, 1}].cpu_ns = 25;
	b[{true, 2}].runs = 3;
	Snapshot d = diff(b, a);
	EXPECT_EQ((d[{true, 1}].cpu_ns), 15u);
	EXPECT_EQ((d[{true, 2}].runs), 3u);
}

} // namespace
} // namespace tld::ctl
