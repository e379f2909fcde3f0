// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Closes the fds clients hand tldd on helper threads, one queue per uid. close(2) can block as
// long as the file's owner likes: a FUSE file's ->flush is a request to a server the client
// may run itself, a TCP socket with unacked data and a long SO_LINGER waits in tcp_close. Done
// on the event loop that would stall every client; on one shared thread, one wedged close
// would let every later fd pile up (issue 10, items 2 and 3). Here a uid's fds are closed by
// at most one thread at a time, so a close that never returns stalls only that uid's queue,
// and a uid whose queue is full or stuck gets no more fds in (can_take()).
#pragma once

#include <cstring>
#include <memory>
#include <sys/socket.h>
#include <sys/types.h>

#include "sys/fd.h"

namespace tld::tldd {

// The most fds one message can carry (SCM_MAX_FD). A control buffer for fewer lets the kernel
// close the rest inside recvmsg, on the calling thread.
inline constexpr unsigned kScmMaxFd = 253;
union FdControl {
	cmsghdr align;
	char buf[CMSG_SPACE(kScmMaxFd * sizeof(int))];
};

// One non-blocking recvmsg into `buf` with room for every fd the message carries; *mh then has
// the control data and flags (its iovec is cleared: it pointed at a local).
inline ssize_t recv_with_fds(int sock, void *buf, size_t len, FdControl *ctl, msghdr *mh)
{
	iovec iov{buf, len};
	*mh = msghdr{};
	mh->msg_iov = &iov;
	mh->msg_iovlen = 1;
	mh->msg_control = ctl->buf;
	mh->msg_controllen = sizeof(ctl->buf);
	ssize_t n = recvmsg(sock, mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	mh->msg_iov = nullptr;
	mh->msg_iovlen = 0;
	return n;
}

// Calls f(fd) for every fd a received message passed, in order; f owns each.
template <typename F> void for_each_passed_fd(msghdr *mh, F &&f)
{
	for (cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t k = 0; k < count; k++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			f(fd);
		}
	}
}

class FdCloser {
public:
	// fds a uid may have waiting to be closed, a whole message's worth (SCM_MAX_FD) below
	// this before tldd reads another of its messages.
	static constexpr unsigned kQuota = 1024;
	// A close running longer than this means the uid's queue is stuck.
	static constexpr std::uint64_t kWedgedNs = 1'000'000'000;
	// Threads at most; uids beyond wait for one to come free.
	static constexpr unsigned kMaxThreads = 16;

	FdCloser();
	~FdCloser();
	FdCloser(const FdCloser &) = delete;
	FdCloser &operator=(const FdCloser &) = delete;

	// Closes `fd` on a helper thread, after the other fds of `uid`.
	void close_later(uid_t uid, Fd fd);
	// Whether `uid` may hand over another message's fds: its queue has room for SCM_MAX_FD
	// more and no close of its has been running longer than kWedgedNs.
	bool can_take(uid_t uid);
	// fds queued and not yet closed.
	std::size_t pending();
	std::size_t pending(uid_t uid);

	struct State;

private:
	std::shared_ptr<State> st_; // shared with the threads, which may outlive us (a stuck close)
};

} // namespace tld::tldd
