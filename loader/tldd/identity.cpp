// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "identity.h"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>

#include "sys/pidfd_compat.h"

namespace tld::tldd {

namespace {

// PIDFD_GET_INFO fails with ESRCH once the task has been reaped: a live (or zombie) task only.
int pidfd_info_of(int pidfd, pidfd_info *info)
{
	*info = pidfd_info{};
	info->mask = PIDFD_INFO_PID | PIDFD_INFO_CREDS;
	if (ioctl(pidfd, PIDFD_GET_INFO, info) != 0)
		return -errno;
	return 0;
}

// The device of pidfs, learned from a pidfd of our own: pidfds are the files on that device.
struct PidfsDev {
	bool known = false;
	std::uint32_t major = 0, minor = 0;
};

const PidfsDev &pidfs_dev()
{
	static const PidfsDev dev = [] {
		PidfsDev d;
		Fd self(sys::pidfd_open(getpid(), 0));
		struct statx stx;
		if (self &&
		    statx(self.get(), "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, 0, &stx) == 0) {
			d.known = true;
			d.major = stx.stx_dev_major;
			d.minor = stx.stx_dev_minor;
		}
		return d;
	}();
	return dev;
}

} // namespace

Result<Peer> identify_peer(int sock)
{
	Peer peer;
	// The kernel captured these at connect() (the peer's euid and egid then); accept() may
	// run long after, when the process has exec'd something else.
	ucred cred{};
	socklen_t len = sizeof(cred);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return error_from_errno("SO_PEERCRED", errno);
	peer.uid = cred.uid;
	peer.gid = cred.gid;
	int pfd = -1;
	len = sizeof(pfd);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &pfd, &len) == 0) {
		peer.pidfd.reset(pfd);
	} else {
		// Kernels before 6.5: the pid from SO_PEERCRED may be recycled before we open it.
		// Documented as the weaker fallback in docs/broker.md.
		peer.pidfd.reset(sys::pidfd_open(cred.pid, 0));
		if (!peer.pidfd)
			return error_from_errno("pidfd_open(peer)", errno);
		peer.weak = true;
	}
	pidfd_info info;
	if (int err = pidfd_info_of(peer.pidfd.get(), &info))
		return error_from_errno("PIDFD_GET_INFO(peer)", err);
	peer.tgid = static_cast<pid_t>(info.tgid);
	return peer;
}

int peer_check(const Peer &peer)
{
	pidfd_info info;
	if (int err = pidfd_info_of(peer.pidfd.get(), &info))
		return err;
	if (info.euid != peer.uid || info.egid != peer.gid)
		return -EPERM;
	return 0;
}

FdKind classify_fd(int fd)
{
	// F_GET_SEALS answers only for shmem and hugetlbfs files, from the inode, with no
	// filesystem callback; everything else gets EINVAL.
	if (fcntl(fd, F_GET_SEALS) >= 0)
		return FdKind::Shmem;
	// statx with AT_STATX_DONT_SYNC never asks a FUSE server; pidfds live on pidfs.
	const PidfsDev &dev = pidfs_dev();
	struct statx stx;
	if (dev.known && statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) == 0 &&
	    stx.stx_dev_major == dev.major && stx.stx_dev_minor == dev.minor)
		return FdKind::Pidfd;
	return FdKind::Foreign;
}

namespace {

// The thread's process, for a pidfd known to be a thread pidfd.
Result<pid_t> owner_check(int pidfd, pid_t tgid)
{
	pidfd_info info;
	if (int err = pidfd_info_of(pidfd, &info))
		return error_from_errno("PIDFD_GET_INFO(thread)", err);
	if (static_cast<pid_t>(info.tgid) != tgid)
		return Error{EPERM, "thread of another process"};
	return static_cast<pid_t>(info.pid);
}

} // namespace

Result<pid_t> check_thread_pidfd(int pidfd, pid_t tgid)
{
	if (classify_fd(pidfd) != FdKind::Pidfd)
		return Error{EBADF, "not a pidfd"};
	int fl = fcntl(pidfd, F_GETFL);
	if (fl < 0)
		return error_from_errno("F_GETFL", errno);
	// A process pidfd names the thread-group leader only by accident of its number; the
	// protocol wants the thread itself, which the kernel marks with PIDFD_THREAD (O_EXCL).
	if (!(fl & PIDFD_THREAD))
		return Error{EINVAL, "process pidfd, not a thread pidfd"};
	return owner_check(pidfd, tgid);
}

Result<Fd> open_thread(pid_t tid, pid_t tgid)
{
	Fd fd(sys::pidfd_open(tid, PIDFD_THREAD));
	if (!fd)
		return error_from_errno("pidfd_open(tid)", errno);
	// Opened here with PIDFD_THREAD: only the owner needs checking.
	auto t = owner_check(fd.get(), tgid);
	if (!t)
		return t.error();
	return fd;
}

bool thread_exists(pid_t tgid, pid_t tid)
{
	// EPERM (no CAP_KILL over another user) still proves the thread exists.
	return syscall(SYS_tgkill, tgid, tid, 0) == 0 || errno != ESRCH;
}

} // namespace tld::tldd
