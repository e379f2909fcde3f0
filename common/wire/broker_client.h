// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The client side of the tldd broker protocol (common/wire/protocol.h, docs/broker.md).
//
// Built for libtldpreload, which calls it from a new thread's start trampoline: no exceptions,
// no heap, no blocking on the registration path. Every request is one non-blocking send;
// tldd answers only failures, which arrive as events read by poll_events() whenever the
// caller likes. A Client is safe to use from many threads at once and can be a constant-
// initialized global. When tldd goes away (EPIPE, ECONNRESET), the next call reconnects and
// sends HELLO again, then retries its request once.
#pragma once

#include <atomic>
#include <cstdint>
#include <pthread.h>
#include <sys/types.h>
#include <sys/un.h>

#include "sys/owned_fd.h"

namespace tld::broker {

// Whether a -errno from a send, a receive or a connect means tldd is gone (stopped, restarting,
// its socket file not there yet): reconnect later instead of counting a failed request.
bool connection_lost(int err);

struct ClientStats {
	std::uint64_t sent = 0;        // requests handed to the socket
	std::uint64_t send_failed = 0; // requests not sent (no daemon, queue full, ...)
	std::uint64_t errors = 0;      // ERROR events: requests tldd rejected
	std::uint64_t gone = 0;        // of those, -ESRCH: the thread exited before tldd got to it
	std::uint64_t dropped = 0;     // events tldd could not deliver (we did not read them)
	std::uint64_t reconnects = 0;  // connections made after the first
	int last_error = 0;            // -errno of the latest ERROR event
	std::uint16_t last_error_type = 0; // the request type it answered
	std::int32_t last_error_tid = 0;
};

class Client {
public:
	constexpr Client() = default;
	// Trivial on purpose: a global Client must stay usable by threads that still run while
	// the process exits (the kernel closes the socket). Call close() to let go earlier.
	~Client() = default;
	Client(const Client &) = delete;
	Client &operator=(const Client &) = delete;

	// Sets the socket path (before anything else). Returns 0 or -ENAMETOOLONG.
	int set_path(const char *path);

	// Connects now (non-blocking; a full backlog is -EAGAIN). Calls below connect on demand,
	// retrying a failed connect at most every 100 ms. Returns 0 or -errno.
	int connect();

	// Hands tldd the sealed memfd (meta page + data pages) and, if >= 0, the board
	// (protocol.h, struct tld_broker_board). Both must stay open while the Client is used:
	// they are sent again after every reconnect. Returns 0 or -errno.
	int hello(int memfd, int board_memfd = -1);
	// The same when the caller knows what the fds are (it just created or checked them):
	// spares an fstat each, and the first connection sends both at once.
	int hello(int memfd, const sys::FdIdentity &memfd_id, int board_memfd,
	          const sys::FdIdentity &board_id);

	// Tells tldd the board changed (send only when the board's armed word said so).
	// Non-blocking. Returns 0 or -errno.
	int doorbell();

	// Registers thread `tid` of this process with the block at `start` in data page `page`
	// (`size` bytes). Non-blocking; 0 means sent, not accepted. Returns 0 or -errno
	// (-EAGAIN: tldd's queue for us is full; -ENOTCONN: no daemon).
	int register_thread(pid_t tid, std::uint32_t page, std::uint16_t start, std::uint16_t size);
	// The same with a thread pidfd (pidfd_open(tid, PIDFD_THREAD)); needed when this process
	// is in another pid namespace than tldd. The pidfd may be closed once this returns.
	int register_pidfd(int pidfd, std::uint32_t page, std::uint16_t start, std::uint16_t size);

	// Drops thread `tid`'s registration. With wait_ms > 0, waits up to that long for tldd to
	// have done it (a block must not be reused before: BPF may still write it) and returns
	// its verdict or -ETIMEDOUT.
	int unregister_thread(pid_t tid, int wait_ms = 0);
	// The same with a thread pidfd, for a client in another pid namespace than tldd.
	int unregister_pidfd(int pidfd, int wait_ms = 0);

	// Whether tldd, as the connection's peer, is invisible in our pid namespace (its pid reads
	// as 0): then our tids mean nothing to it and threads must be named by pidfds. Known once
	// connected; false before.
	bool needs_pidfds() const { return needs_pidfds_.load(std::memory_order_acquire); }

	// Waits up to timeout_ms until tldd has handled every request sent before. Returns 0,
	// -ETIMEDOUT, or -errno.
	int sync(int timeout_ms);

	// Reads the events that are waiting, without blocking. Returns how many were ERRORs, or
	// -errno. Counters accumulate in stats().
	int poll_events();

	ClientStats stats() const;
	// stats().reconnects alone: one load, for a check on every thread start.
	std::uint64_t reconnects() const { return reconnects_.load(std::memory_order_relaxed); }

	// The connection's fd for an event loop (POLLIN: events to read), or -1. Unchecked: the
	// host program may have closed it (the Client notices on its next use).
	int event_fd() const { return fd_.load(std::memory_order_acquire); }

	// In the child after fork(): the inherited connection speaks for the parent, so drop it
	// without a word to tldd. Call hello() again with the child's own memfd.
	void after_fork();

	// Closes the connection. Only when no other thread is using the Client: a thread in the
	// middle of a send could otherwise hit a recycled fd number.
	void close();

private:
	// seq 0: the next one; else a seq from reserve_answer().
	int send_request(std::uint16_t type, std::uint32_t flags, std::int32_t tid,
	                 std::uint32_t page, std::uint16_t start, std::uint16_t size, int pass_fd,
	                 std::uint32_t seq);
	int request_and_wait(std::uint16_t type, std::uint32_t flags, std::int32_t tid, int pass_fd,
	                     int timeout_ms);
	int unregister(std::uint32_t flags, std::int32_t tid, int pass_fd, int wait_ms);
	// fds_known: memfd_ and board_ were named by the caller of hello() just now, so they are
	// sent without checking them again.
	int reconnect(std::uint64_t seen_state, bool fds_known = false);
	int open_connection(int *out, bool fds_known);
	void mark_broken(std::uint64_t seen_state);
	std::uint32_t reserve_answer();
	void release_answer(std::uint32_t seq);
	int wait_answer(std::uint32_t seq, std::uint64_t deadline_ns);
	void account(const void *event);
	// The socket, if its number still names it; else it is forgotten (never closed: a
	// program that closed it may have reused the number) and -1 returned.
	int usable_fd();

	// What a held fd is (sys::FdIdentity), readable by any thread while a reconnect changes it.
	struct HeldId {
		std::atomic<std::uint64_t> dev{0}, ino{0};
		void set(const sys::FdIdentity &id)
		{
			dev.store(id.dev, std::memory_order_relaxed);
			ino.store(id.ino, std::memory_order_release);
		}
		bool is(int fd) const
		{
			sys::FdIdentity id;
			id.ino = ino.load(std::memory_order_acquire);
			id.dev = dev.load(std::memory_order_relaxed);
			return sys::still_is(fd, id);
		}
	};

	char path_[sizeof(sockaddr_un::sun_path)] = {};
	// The connection keeps one fd number for its whole life: a reconnect dup3()s the new
	// socket onto it, so a thread still sending never writes into a recycled fd.
	std::atomic<int> fd_{-1};
	std::atomic<int> memfd_{-1};
	std::atomic<int> board_{-1};
	// The program that hosts the preload may close any of these three and reuse the number:
	// each is checked against what it was before it is sent, read, replaced or closed.
	HeldId sock_id_, memfd_id_, board_id_;
	std::atomic<bool> needs_pidfds_{false};
	// (generation << 1) | broken: a failure seen on an old connection does not break the new.
	std::atomic<std::uint64_t> state_{0};
	std::atomic<std::uint32_t> seq_{0};
	// Answers (ACK or ERROR) to the requests somebody waits for, by seq % kAnswers:
	// answer_word(seq, error), 0 when free. Any thread may read the event that answers
	// another's request, so waiters look their seq up here. A waiter reserves its slot first
	// (reserve_answer()), so at most one thread's answer can land in it.
	static constexpr unsigned kAnswers = 256;
	static constexpr std::int32_t kPending = 1; // no answer yet: tldd's errors are <= 0
	static constexpr std::uint64_t answer_word(std::uint32_t seq, std::int32_t error)
	{
		return (static_cast<std::uint64_t>(seq) << 32) | static_cast<std::uint32_t>(error);
	}
	std::atomic<std::uint64_t> answers_[kAnswers] = {};
	std::atomic<std::uint64_t> next_try_ns_{0};
	pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER; // serializes reconnects

	std::atomic<std::uint64_t> sent_{0}, send_failed_{0}, errors_{0}, gone_{0}, dropped_{0},
	        reconnects_{0};
	std::atomic<int> last_error_{0};
	std::atomic<std::uint16_t> last_error_type_{0};
	std::atomic<std::int32_t> last_error_tid_{0};
};

} // namespace tld::broker
