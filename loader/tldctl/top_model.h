// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The numbers behind `tldctl top`: per-class snapshots of the BPF statistics, the difference
// between two (one refresh interval), and percentiles from the log-linear histogram.
#pragma once

#include <array>
#include <cstdint>
#include <map>

#include <tldctl/top.h>

namespace tld::ctl {

struct ClassKey {
	bool hinted = true;
	uint64_t value = 0;
	auto operator<=>(const ClassKey &) const = default;
};

struct ClassStats {
	uint64_t cpu_ns = 0;
	uint64_t runs = 0;
	uint64_t wakeups = 0;
	uint64_t waits = 0;
	uint64_t wait_ns = 0;
	std::array<uint64_t, TLDCTL_TOP_HIST_SLOTS> hist{};

	ClassStats &operator+=(const tldctl_top_stats &s);
	// this - @earlier, field by field (counters only grow).
	ClassStats minus(const ClassStats &earlier) const;
};

using Snapshot = std::map<ClassKey, ClassStats>;

// @later - @earlier for every class in @later.
Snapshot diff(const Snapshot &later, const Snapshot &earlier);

// The lower bound and the width of histogram slot @slot, in ns (see tldctl/top.h).
uint64_t hist_slot_low(unsigned slot);
uint64_t hist_slot_width(unsigned slot);

// The @p-th percentile (0 < p <= 1) of the waits in @s, in ns: the middle of the slot that
// holds it, so within 12.5% of the true value. 0 when there are no samples.
uint64_t percentile(const ClassStats &s, double p);

} // namespace tld::ctl
