// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The PID[/TID] argument of get and set, what /proc says about it, and who may change it.
#pragma once

#include <string>
#include <sys/types.h>

#include "progs/bpf_loader.h"

namespace tld::ctl {

struct Target {
	pid_t pid = 0;
	pid_t tid = 0; // 0: every registered thread of the process

	TaskFilter filter() const { return tid ? TaskFilter{tid, 0} : TaskFilter{0, pid}; }
	std::string str() const;
};

// Parses "PID" or "PID/TID" (positive decimal). Throws CliError(kExitUsage) otherwise.
Target parse_target(const std::string &text);

// Checks that the process (and thread) exist and returns its owner (owner.h: kNoOwner for a
// process with mixed uids). Throws CliError(kExitFailure) naming what does not exist.
uid_t check_target(const Target &t);

// Throws CliError(kExitPermission) unless the caller is root or @owner.
void check_may_change(const Target &t, uid_t owner);

} // namespace tld::ctl
