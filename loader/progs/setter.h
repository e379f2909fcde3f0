// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Writes a key's value into live threads' blocks with the tldctl_set syscall program
// (bpf/tldctl_set.bpf.c): the only way to reach a block, since user-space map lookups return
// zeroed uptrs. Needs CAP_BPF; permission checks are the caller's (tldctl set, tldd).
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include <tld/abi.h> // before the skeleton, which names struct tld_btf_anchor

#include "progs/bpf_loader.h"
#include "tldctl_set.skel.h"

namespace tld::ctl {

struct SetResult {
	pid_t tid = 0;
	int err = 0; // 0 or -errno as documented in tldctl_set.bpf.c
	uint32_t off = 0;
};

class Setter {
public:
	static Result<Setter> load(int map_fd);

	struct Outcome {
		std::vector<SetResult> results; // one per thread still there
		bool written = false;           // false: the check failed for some thread
	};

	// Checks every thread in @tids (threads of process @pid), then, only if all of them can
	// take the value, writes it to each. Nothing is written when a check fails. A thread that
	// exits between the two passes is dropped from the results: it no longer exists. With
	// @skip_unregistered, so are threads without task local data (-ENXIO), as when @tids is
	// every thread of the process.
	// With @proc_pidfd (a pidfd of @pid, the process the caller authorized), a thread is
	// written only while that process is still alive: then @pid was never reused meanwhile.
	Result<Outcome> apply(pid_t pid, const std::vector<pid_t> &tids, const std::string &key,
	                      const std::vector<uint8_t> &value, bool skip_unregistered = false,
	                      int proc_pidfd = -1);

private:
	using Skel = Skeleton<tldctl_set>;
	explicit Setter(Skel skel) : skel_(std::move(skel)) {}
	Result<SetResult> run(pid_t pid, pid_t tid, bool check_only, int proc_pidfd);
	Skel skel_;
	uint32_t last_mark_ = 0;
};

} // namespace tld::ctl
