// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Who may change a process's hints: root, or the process's owner. Shared by tldctl (its own
// check, for a clear message) and tldd (the check that counts, for callers who are not root).
#pragma once

#include <sys/types.h>
#include <vector>

#include "sys/result.h"

namespace tld::ctl {

// A process whose real, effective and saved uids differ (a setuid program) has no owner but
// root: its real uid's user must not steer what runs with another user's privileges (the rule
// ptrace applies, too).
inline constexpr uid_t kNoOwner = static_cast<uid_t>(-1);

// The owner of the process @pidfd names (a pidfd from pidfd_open(pid, 0)), from
// PIDFD_GET_INFO: its uid, or kNoOwner. Errors: ESRCH once it is gone.
Result<uid_t> process_owner(int pidfd);

// Whether a caller with effective uid @caller may change the hints of a process owned by @owner.
inline bool may_change(uid_t caller, uid_t owner)
{
	return caller == 0 || (owner != kNoOwner && caller == owner);
}

// The thread ids of process @pid, from /proc/PID/task (empty when it is gone).
std::vector<pid_t> process_threads(pid_t pid);

} // namespace tld::ctl
