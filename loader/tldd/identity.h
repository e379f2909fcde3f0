// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Who is on the other end of a connection, and whether a thread is theirs. Every check works on
// pidfds, which name one task for good, so a recycled pid can never pass for the original.
#pragma once

#include <cstdint>
#include <sys/types.h>

#include "sys/fd.h"
#include "sys/result.h"

namespace tld::tldd {

struct Peer {
	Fd pidfd;       // the peer process, from SO_PEERPIDFD (or opened from SO_PEERCRED's pid)
	pid_t tgid = 0; // in tldd's pid namespace
	// The effective uid and gid the peer had when it called connect(): SO_PEERCRED, which the
	// kernel captured then. Authorization uses these, never the process's current ones: a
	// peer that connects and then execs a setuid binary must not speak as its new owner.
	uid_t uid = 0;
	gid_t gid = 0;
	bool weak = false; // fallback: the pidfd was opened after the fact from a pid number
};

// Identifies the process that connected `sock`.
Result<Peer> identify_peer(int sock);

// 0 while the peer process exists with the credentials it connected with; -ESRCH once it is
// gone (a connection inherited by a child outlives its creator: its messages no longer speak
// for anyone), -EPERM once its effective uid or gid differs from the connect-time ones (it
// exec'd a setuid binary, or changed ids): it no longer is the peer that was authorized.
int peer_check(const Peer &peer);

// What a received fd is, judged without calling into its filesystem: a FUSE file could
// otherwise make tldd wait forever on its server.
enum class FdKind { Pidfd, Shmem, Foreign };
FdKind classify_fd(int fd);

// Checks that `pidfd` is a thread pidfd (PIDFD_THREAD) of a live thread of process `tgid`.
// Returns its tid, or -EBADF (not a pidfd), -EINVAL (a process pidfd), -ESRCH (the thread is
// gone), -EPERM (another process's thread).
Result<pid_t> check_thread_pidfd(int pidfd, pid_t tgid);

// Opens a thread pidfd for `tid` and checks that it belongs to `tgid` (errors as above).
Result<Fd> open_thread(pid_t tid, pid_t tgid);

// Whether thread `tid` of process `tgid` still exists (tgkill with signal 0).
bool thread_exists(pid_t tgid, pid_t tid);

} // namespace tld::tldd
