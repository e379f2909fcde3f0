// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// CLOCK_MONOTONIC in nanoseconds, precise or coarse (a few ms of resolution, the cheapest read:
// for retry timers and staleness checks on hot paths). Both are vDSO calls, no syscall.
#pragma once

#include <cstdint>
#include <ctime>

namespace tld::sys {

inline std::uint64_t clock_ns(clockid_t clock)
{
	timespec ts;
	clock_gettime(clock, &ts);
	return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
	       static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t monotonic_ns()
{
	return clock_ns(CLOCK_MONOTONIC);
}

inline std::uint64_t coarse_monotonic_ns()
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

} // namespace tld::sys
