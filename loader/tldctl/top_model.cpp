// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "top_model.h"

#include <cmath>

namespace tld::ctl {

ClassStats &ClassStats::operator+=(const tldctl_top_stats &s)
{
	cpu_ns += s.cpu_ns;
	runs += s.runs;
	wakeups += s.wakeups;
	waits += s.waits;
	wait_ns += s.wait_ns;
	for (size_t i = 0; i < hist.size(); i++)
		hist[i] += s.hist[i];
	return *this;
}

ClassStats ClassStats::minus(const ClassStats &e) const
{
	// A class that was evicted and re-created could go backwards: clamp rather than wrap.
	auto sub = [](uint64_t a, uint64_t b) { return a > b ? a - b : 0; };
	ClassStats d;
	d.cpu_ns = sub(cpu_ns, e.cpu_ns);
	d.runs = sub(runs, e.runs);
	d.wakeups = sub(wakeups, e.wakeups);
	d.waits = sub(waits, e.waits);
	d.wait_ns = sub(wait_ns, e.wait_ns);
	for (size_t i = 0; i < hist.size(); i++)
		d.hist[i] = sub(hist[i], e.hist[i]);
	return d;
}

Snapshot diff(const Snapshot &later, const Snapshot &earlier)
{
	Snapshot out;
	for (const auto &[key, stats] : later) {
		auto it = earlier.find(key);
		out[key] = it == earlier.end() ? stats : stats.minus(it->second);
	}
	return out;
}

uint64_t hist_slot_low(unsigned slot)
{
	if (slot < 4)
		return slot;
	unsigned msb = slot / 4 + 1, sub = slot % 4;
	return uint64_t(4 + sub) << (msb - 2);
}

uint64_t hist_slot_width(unsigned slot)
{
	if (slot < 4)
		return 1;
	return uint64_t(1) << (slot / 4 - 1);
}

uint64_t percentile(const ClassStats &s, double p)
{
	uint64_t total = 0;
	for (uint64_t c : s.hist)
		total += c;
	if (total == 0)
		return 0;
	uint64_t rank = uint64_t(std::ceil(p * double(total)));
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < s.hist.size(); i++) {
		seen += s.hist[i];
		if (seen >= rank)
			return hist_slot_low(i) + hist_slot_width(i) / 2;
	}
	return hist_slot_low(unsigned(s.hist.size() - 1));
}

} // namespace tld::ctl
