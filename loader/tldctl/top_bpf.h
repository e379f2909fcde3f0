// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The loaded tldctl_top programs (bpf/tldctl_top.bpf.c): configured, attached to the scheduler
// tracepoints, and read as per-class snapshots. Used by `tldctl top` and its benchmark.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include <tld/abi.h> // before the skeleton, which names struct tld_btf_anchor

#include "progs/bpf_loader.h"
#include "tldctl_top.skel.h"
#include "top_model.h"

namespace tld::ctl {

struct TopConfig {
	std::string key;             // the hint to aggregate by
	unsigned size = 4;           // its size: 1, 2, 4 or 8
	pid_t pid = 0;               // only this process (0: all)
	bool count_unhinted = false; // also account tasks without the key, as one class
};

class TopConsumer {
public:
	// Opens, configures and loads the programs on the pinned map @map_fd.
	static Result<TopConsumer> load(int map_fd, const TopConfig &config);

	Result<void> attach();
	// Detaches; the statistics stay readable.
	void detach();

	// Every class's statistics summed over CPUs, since load.
	Result<Snapshot> snapshot() const;
	// Events lost because the class table was full.
	uint64_t dropped() const;

	// The programs, for run-time statistics (bench/).
	std::vector<const bpf_program *> programs() const;

private:
	using Skel = Skeleton<tldctl_top>;
	explicit TopConsumer(Skel skel) : skel_(std::move(skel)) {}
	Skel skel_;
	std::vector<Link> links_;
};

} // namespace tld::ctl
