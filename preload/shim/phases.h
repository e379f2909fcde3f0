// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Where the constructor's time goes (config parse, arena, keys, tldd connect, first thread), for
// TLD_DEBUG=1 and bench/exec_compare.py: the clock is read only while debugging, and the phases
// are printed as one line, "tld: start-up us: config 41, arena 9, ... total 83".
#pragma once

#include <cstdint>
#include <cstdio>

#include "log.h"
#include "sys/clock.h"

namespace tld::shim {

class StartPhases {
public:
	explicit StartPhases(bool on) : on_(on), last_(on ? sys::monotonic_ns() : 0) {}

	// The phase `name` (a literal) ends now.
	void mark(const char *name)
	{
		if (!on_ || n_ == kMax)
			return;
		std::uint64_t now = sys::monotonic_ns();
		names_[n_] = name;
		ns_[n_++] = now - last_;
		last_ = now;
	}

	void print() const
	{
		if (!on_)
			return;
		char buf[256];
		std::size_t used = 0;
		std::uint64_t total = 0;
		for (int i = 0; i < n_ && used < sizeof(buf); i++) {
			total += ns_[i];
			used += static_cast<std::size_t>(
			        snprintf(buf + used, sizeof(buf) - used, "%s %llu, ", names_[i],
			                 static_cast<unsigned long long>(ns_[i] / 1000)));
		}
		if (used < sizeof(buf))
			snprintf(buf + used, sizeof(buf) - used, "total %llu",
			         static_cast<unsigned long long>(total / 1000));
		debug("start-up us: %s", buf);
	}

private:
	static constexpr int kMax = 8;
	bool on_;
	int n_ = 0;
	std::uint64_t last_;
	const char *names_[kMax] = {};
	std::uint64_t ns_[kMax] = {};
};

} // namespace tld::shim
