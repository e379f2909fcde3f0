// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// fds the preload creates inside a host program. Programs close fds they did not open
// (closefrom, close_range(3, ~0), `exec 4>&-`) and reuse the numbers for their own files, so
// the number alone proves nothing: the preload remembers what each of its fds is (device and
// inode, from fstat) and, before it closes, truncates, maps, sends or reads one, checks that the
// number still names that file. A mismatch means the program took the number: it is forgotten,
// never touched.
#pragma once

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tld::sys {

// What a file is, whatever number it has. Sockets (sockfs) and memfds (shmem) each have an
// inode of their own while they live; st_dev tells the filesystems apart.
struct FdIdentity {
	dev_t dev = 0;
	ino_t ino = 0;

	bool operator==(const FdIdentity &) const = default;
	explicit operator bool() const { return ino != 0; }
};

inline FdIdentity identity_of(int fd)
{
	struct stat st;
	if (fd < 0 || ::fstat(fd, &st) != 0)
		return {};
	return {st.st_dev, st.st_ino};
}

// Whether `fd` still is the file `id` was taken from.
inline bool still_is(int fd, const FdIdentity &id)
{
	return fd >= 0 && id && identity_of(fd) == id;
}

namespace detail {
constexpr rlim_t kSpare = 8, kCeiling = 1024;

// Raises RLIMIT_NOFILE by kSpare past `lim` (the hard limit too when the soft one is already at
// it: that takes CAP_SYS_RESOURCE). Returns false when the kernel refuses.
inline bool raise_past(const struct rlimit &lim)
{
	struct rlimit raised = {lim.rlim_cur + kSpare, lim.rlim_max};
	if (raised.rlim_max < raised.rlim_cur)
		raised.rlim_max = raised.rlim_cur;
	return ::setrlimit(RLIMIT_NOFILE, &raised) == 0;
}

// Puts `lim` back unless the program changed the limit since raise_past() (lowering the hard
// limit again is always allowed).
inline void restore(const struct rlimit &lim)
{
	struct rlimit now;
	if (::getrlimit(RLIMIT_NOFILE, &now) == 0 && now.rlim_cur == lim.rlim_cur + kSpare)
		(void)::setrlimit(RLIMIT_NOFILE, &lim);
}
} // namespace detail

// Whether the preload's fds can sit where they cost the program nothing: at or above its soft
// fd limit (the hard limit leaves room, or we may raise it), or below a limit past the 1024 of
// the fd table we keep to, where taking 3 of thousands is not a program's own working limit.
// Otherwise a program that opens files up to its soft == hard limit (`ulimit -n 64`) would
// lose a number to each of our fds: the preload then holds none and runs without hints.
inline bool fds_cost_the_program_nothing()
{
	struct rlimit lim;
	if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur > detail::kCeiling ||
	    lim.rlim_cur + detail::kSpare <= lim.rlim_max)
		return true;
	if (!detail::raise_past(lim))
		return false;
	detail::restore(lim);
	return true;
}

// Moves a freshly created fd to a high number, close-on-exec, and returns it (or `fd` itself
// if it cannot be moved). High, so that the small numbers programs hard-code (`exec 4>x`) and
// the lowest-free numbers open() hands out stay the program's. The soft limit (and the hard one
// if it is no higher and we may) is raised for the instant of the dup: the fd then sits at or
// above the soft limit, a number the program itself can never be given, and the limit is put
// back (unless the program changed it meanwhile). Never far above 1024: the kernel's fd table
// grows to the highest number in use.
inline int place_high(int fd)
{
	using detail::kCeiling;
	using detail::kSpare;
	if (fd < 0)
		return fd;
	struct rlimit lim;
	if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
		return fd;
	int moved = -1;
	if (lim.rlim_cur <= kCeiling && detail::raise_past(lim)) {
		moved = ::fcntl(fd, F_DUPFD_CLOEXEC, static_cast<int>(lim.rlim_cur));
		detail::restore(lim);
	}
	if (moved < 0) {
		rlim_t top = lim.rlim_cur < kCeiling ? lim.rlim_cur : kCeiling;
		int floor = top > 4 * kSpare ? static_cast<int>(top - 4 * kSpare) : 3;
		if (fd >= floor) {
			// Already high: only make sure it is close-on-exec.
			int flags = ::fcntl(fd, F_GETFD);
			if (flags >= 0 && !(flags & FD_CLOEXEC))
				::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
			return fd;
		}
		moved = ::fcntl(fd, F_DUPFD_CLOEXEC, floor);
	}
	if (moved < 0)
		return fd;
	::close(fd);
	return moved;
}

// A global fd of the preload: its number and what it is. Trivially destructible on purpose
// (threads may still use it while the process exits; the kernel closes it then), so it is
// closed by close(), never by a destructor.
class HeldFd {
public:
	constexpr HeldFd() = default;
	HeldFd(const HeldFd &) = delete;
	HeldFd &operator=(const HeldFd &) = delete;

	// Takes a fd just created by us: moves it high and remembers what it is. Returns the
	// number it now has, or -errno (then nothing is held and `fd` is closed).
	int adopt(int fd)
	{
		if (fd < 0)
			return fd;
		fd = place_high(fd);
		FdIdentity id = identity_of(fd);
		if (!id) {
			int err = -errno;
			::close(fd);
			return err ? err : -EBADF;
		}
		id_ = id;
		fd_.store(fd, std::memory_order_release);
		return fd;
	}

	// The number, if it still names our file; otherwise it is forgotten (not closed: it is
	// the program's now) and -EBADF returned.
	int checked()
	{
		int fd = fd_.load(std::memory_order_acquire);
		if (fd < 0)
			return -EBADF;
		if (still_is(fd, id_))
			return fd;
		int expect = fd;
		fd_.compare_exchange_strong(expect, -1, std::memory_order_acq_rel);
		return -EBADF;
	}

	// The number without a check, or -1: for comparisons only, never to use the fd.
	int number() const { return fd_.load(std::memory_order_acquire); }

	// What the file is (set by adopt()): for a caller that hands the fd on right after
	// checked() and would otherwise fstat it again.
	FdIdentity identity() const { return id_; }

	// Closes it if it still is ours; forgets it either way.
	void close()
	{
		int fd = fd_.exchange(-1, std::memory_order_acq_rel);
		if (still_is(fd, id_))
			::close(fd);
	}

	// Lets go of the number without closing it.
	void forget() { fd_.store(-1, std::memory_order_release); }

private:
	std::atomic<int> fd_{-1};
	FdIdentity id_{};
};

} // namespace tld::sys
