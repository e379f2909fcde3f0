// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "wire/broker_client.h"
#include "wire/codec.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <sys/socket.h>
#include <type_traits>
#include <unistd.h>

#include "sys/clock.h"
#include "wire/protocol.h"

namespace tld::broker {

namespace {

constexpr std::uint64_t kRetryNs = 100'000'000; // between failed connects
constexpr std::uint64_t kBroken = 1;

// One message, with at most one fd, never blocking and never raising SIGPIPE.
int send_msg(int sock, const tld_broker_req &req, int pass_fd)
{
	return broker::send_message(sock, &req, sizeof(req), pass_fd, MSG_DONTWAIT);
}

// HELLO and BOARD in one sendmmsg(): each is still a message of its own with its own fd, as
// tldd reads them, for one syscall less on every process start.
int send_two(int sock, const tld_broker_req (&req)[2], const int (&pass_fd)[2])
{
	Outgoing out[2] = {{&req[0], sizeof(req[0]), pass_fd[0]},
	                   {&req[1], sizeof(req[1]), pass_fd[1]}};
	int sent = broker::send_messages(sock, out, 2, MSG_DONTWAIT);
	return sent == 2 ? 0 : sent < 0 ? sent : -EAGAIN;
}

void fill(tld_broker_req *req, std::uint16_t type, std::uint32_t seq, std::uint32_t flags)
{
	*req = tld_broker_req{};
	req->hdr.magic = TLD_BROKER_MAGIC;
	req->hdr.version = TLD_BROKER_VERSION;
	req->hdr.type = type;
	req->hdr.seq = seq;
	req->hdr.flags = flags;
}

// Holds a pthread mutex for a scope: the preload has no std::mutex (it links no libstdc++).
class LockGuard {
public:
	explicit LockGuard(pthread_mutex_t *m) : m_(m) { pthread_mutex_lock(m_); }
	~LockGuard() { pthread_mutex_unlock(m_); }
	LockGuard(const LockGuard &) = delete;
	LockGuard &operator=(const LockGuard &) = delete;

private:
	pthread_mutex_t *m_;
};

} // namespace

bool connection_lost(int err)
{
	return err == -EPIPE || err == -ECONNRESET || err == -ENOTCONN || err == -ECONNREFUSED ||
	       err == -ENOENT;
}

static_assert(std::is_trivially_destructible_v<Client>,
              "a global Client needs no exit-time destructor");

int Client::set_path(const char *path)
{
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(path_))
		return -ENAMETOOLONG;
	memcpy(path_, path, len + 1);
	return 0;
}

// A fresh socket, connected and greeted, not yet visible to other threads.
int Client::open_connection(int *out, bool fds_known)
{
	// High, out of the way of the numbers the host program uses (sys::place_high).
	int s = sys::place_high(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (s < 0)
		return -errno;
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path_, sizeof(path_));
	// Connecting a UNIX socket never waits for the server to accept; with a full backlog a
	// non-blocking connect fails with EAGAIN instead of sleeping.
	if (::connect(s, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) {
		int err = -errno;
		::close(s);
		return err;
	}
	// The listener's pid as our namespace sees it: 0 when tldd lives outside it.
	ucred peer{};
	socklen_t len = sizeof(peer);
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0)
		needs_pidfds_.store(peer.pid == 0, std::memory_order_release);
	int memfd = memfd_.load(std::memory_order_acquire);
	if (memfd >= 0 && !fds_known && !memfd_id_.is(memfd)) {
		// The program closed the memfd we were given: whatever has that number now is not
		// ours to send (it would reach tldd as our arena).
		memfd_.store(-1, std::memory_order_release);
		board_.store(-1, std::memory_order_release);
		::close(s);
		return -EBADF;
	}
	if (memfd >= 0) {
		tld_broker_req req[2];
		fill(&req[0], TLD_BROKER_HELLO, seq_.fetch_add(1, std::memory_order_relaxed) + 1,
		     0);
		req[0].tid = getpid();
		int board = board_.load(std::memory_order_acquire);
		if (board >= 0 && !fds_known && !board_id_.is(board)) {
			board_.store(-1, std::memory_order_release); // lost: threads send REGISTERs
			board = -1;
		}
		// From another pid namespace tldd cannot resolve the tids on a board: the caller
		// names threads by pidfds (needs_pidfds()), and the board stays unsent.
		if (needs_pidfds_.load(std::memory_order_relaxed))
			board = -1;
		int err;
		if (board >= 0) {
			fill(&req[1], TLD_BROKER_BOARD,
			     seq_.fetch_add(1, std::memory_order_relaxed) + 1, 0);
			err = send_two(s, req, {memfd, board});
		} else {
			err = send_msg(s, req[0], memfd);
		}
		if (err) {
			::close(s);
			return err;
		}
	}
	*out = s;
	return 0;
}

int Client::reconnect(std::uint64_t seen_state, bool fds_known)
{
	if (!path_[0])
		return -EDESTADDRREQ;
	LockGuard guard(&lock_);
	std::uint64_t state = state_.load(std::memory_order_acquire);
	int fd = fd_.load(std::memory_order_acquire);
	// Somebody else already replaced the connection we saw fail.
	if (fd >= 0 && state != seen_state && !(state & kBroken))
		return 0;
	std::uint64_t now = sys::coarse_monotonic_ns();
	if (now < next_try_ns_.load(std::memory_order_relaxed))
		return -ENOTCONN;
	int s = -1;
	int err = open_connection(&s, fds_known);
	if (err) {
		next_try_ns_.store(now + kRetryNs, std::memory_order_relaxed);
		return err;
	}
	if (fd >= 0 && !sock_id_.is(fd)) {
		// The program closed our socket and may use the number: never dup3() onto it.
		fd_.store(-1, std::memory_order_release);
		fd = -1;
	}
	if (fd < 0) {
		sock_id_.set(sys::identity_of(s));
		fd_.store(s, std::memory_order_release);
	} else {
		// Atomically swaps the socket behind the fd number other threads use.
		if (dup3(s, fd, O_CLOEXEC) < 0) {
			err = -errno;
			::close(s);
			return err;
		}
		::close(s);
		sock_id_.set(sys::identity_of(fd));
		reconnects_.fetch_add(1, std::memory_order_relaxed);
	}
	state_.store((state | kBroken) + 1, std::memory_order_release); // next generation, healthy
	return 0;
}

void Client::mark_broken(std::uint64_t seen_state)
{
	std::uint64_t expect = seen_state & ~kBroken;
	state_.compare_exchange_strong(expect, expect | kBroken, std::memory_order_acq_rel);
}

int Client::connect()
{
	std::uint64_t state = state_.load(std::memory_order_acquire);
	if (usable_fd() >= 0 && !(state & kBroken))
		return 0;
	state = state_.load(std::memory_order_acquire);
	return reconnect(state);
}

int Client::send_request(std::uint16_t type, std::uint32_t flags, std::int32_t tid,
                         std::uint32_t page, std::uint16_t start, std::uint16_t size, int pass_fd,
                         std::uint32_t seq)
{
	int err = -ENOTCONN;
	// Sent twice at most: a connection found dead is replaced and the request sent again.
	// The round limit keeps a daemon that dies again and again from holding us here.
	for (int sends = 0, round = 0; sends < 2 && round < 4; round++) {
		std::uint64_t state = state_.load(std::memory_order_acquire);
		int fd = usable_fd();
		if (fd < 0 || (state & kBroken)) {
			if ((err = reconnect(state)))
				break;
			err = -ENOTCONN;
			continue;
		}
		tld_broker_req req;
		fill(&req, type, seq ? seq : seq_.fetch_add(1, std::memory_order_relaxed) + 1,
		     flags);
		req.tid = tid;
		req.page = page;
		req.start = start;
		req.size = size;
		err = send_msg(fd, req, pass_fd);
		if (!err) {
			sent_.fetch_add(1, std::memory_order_relaxed);
			return 0;
		}
		sends++;
		if (!connection_lost(err))
			break;
		mark_broken(state);
	}
	send_failed_.fetch_add(1, std::memory_order_relaxed);
	return err;
}

int Client::hello(int memfd, int board_memfd)
{
	return hello(memfd, sys::identity_of(memfd), board_memfd, sys::identity_of(board_memfd));
}

int Client::hello(int memfd, const sys::FdIdentity &memfd_id, int board_memfd,
                  const sys::FdIdentity &board_id)
{
	memfd_id_.set(memfd_id);
	board_id_.set(board_id);
	int had_memfd = memfd_.exchange(memfd, std::memory_order_acq_rel);
	int had_board = board_.exchange(board_memfd, std::memory_order_acq_rel);
	pthread_mutex_lock(&lock_);
	int fd = fd_.load(std::memory_order_acquire);
	bool healthy = fd >= 0 && !(state_.load(std::memory_order_acquire) & kBroken);
	pthread_mutex_unlock(&lock_);
	// A new connection says HELLO (and BOARD) by itself; an open one is told now.
	if (!healthy)
		return reconnect(state_.load(std::memory_order_acquire), true);
	// A connection opened since these were set said them already (open_connection()).
	int err = 0;
	if (had_memfd != memfd)
		err = send_request(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, memfd, 0);
	if (!err && board_memfd >= 0 && had_board != board_memfd && !needs_pidfds())
		err = send_request(TLD_BROKER_BOARD, 0, 0, 0, 0, 0, board_memfd, 0);
	return err;
}

int Client::doorbell()
{
	return send_request(TLD_BROKER_DOORBELL, 0, 0, 0, 0, 0, -1, 0);
}

int Client::register_thread(pid_t tid, std::uint32_t page, std::uint16_t start, std::uint16_t size)
{
	return send_request(TLD_BROKER_REGISTER, 0, tid, page, start, size, -1, 0);
}

int Client::register_pidfd(int pidfd, std::uint32_t page, std::uint16_t start, std::uint16_t size)
{
	return send_request(TLD_BROKER_REGISTER, TLD_BROKER_F_PIDFD, 0, page, start, size, pidfd,
	                    0);
}

// Takes the next seq whose answer slot is free and marks it pending: only an answer to that
// exact seq may fill it, so neither another waiter nor an ERROR for a request nobody waits
// for can overwrite the answer before its waiter reads it.
std::uint32_t Client::reserve_answer()
{
	for (unsigned tries = 1;; tries++) {
		if (tries % kAnswers == 0)
			sched_yield(); // every slot is waited on: let a waiter finish
		std::uint32_t seq = seq_.fetch_add(1, std::memory_order_relaxed) + 1;
		if (seq == 0)
			continue; // 0 means "not reserved" to send_request()
		std::uint64_t free = 0;
		if (answers_[seq % kAnswers].compare_exchange_strong(
		            free, answer_word(seq, kPending), std::memory_order_acq_rel))
			return seq;
	}
}

void Client::release_answer(std::uint32_t seq)
{
	answers_[seq % kAnswers].store(0, std::memory_order_release);
}

// For the calls that wait anyway: a full queue (tldd behind) is waited out, up to timeout_ms,
// then the answer to that request is waited for in what is left of it.
int Client::request_and_wait(std::uint16_t type, std::uint32_t flags, std::int32_t tid, int pass_fd,
                             int timeout_ms)
{
	std::uint64_t deadline =
	        sys::monotonic_ns() + static_cast<std::uint64_t>(timeout_ms) * 1'000'000;
	std::uint32_t seq = reserve_answer();
	int err;
	for (;;) {
		err = send_request(type, flags, tid, 0, 0, 0, pass_fd, seq);
		if (err != -EAGAIN || sys::monotonic_ns() >= deadline)
			break;
		pollfd p{usable_fd(), POLLOUT, 0};
		poll(&p, 1, 10);
	}
	if (!err)
		err = wait_answer(seq, deadline);
	release_answer(seq);
	return err;
}

int Client::unregister(std::uint32_t flags, std::int32_t tid, int pass_fd, int wait_ms)
{
	if (wait_ms <= 0)
		return send_request(TLD_BROKER_UNREGISTER, flags, tid, 0, 0, 0, pass_fd, 0);
	return request_and_wait(TLD_BROKER_UNREGISTER, flags | TLD_BROKER_F_ACK, tid, pass_fd,
	                        wait_ms);
}

int Client::unregister_thread(pid_t tid, int wait_ms)
{
	return unregister(0, tid, -1, wait_ms);
}

int Client::unregister_pidfd(int pidfd, int wait_ms)
{
	return unregister(TLD_BROKER_F_PIDFD, 0, pidfd, wait_ms);
}

int Client::sync(int timeout_ms)
{
	return request_and_wait(TLD_BROKER_SYNC, 0, 0, -1, timeout_ms);
}

// Waits for the answer to the reserved request `seq`. Any thread may read it off the shared
// socket, so it is looked up in its slot rather than expected from our own recv().
int Client::wait_answer(std::uint32_t seq, std::uint64_t deadline_ns)
{
	const std::atomic<std::uint64_t> &slot = answers_[seq % kAnswers];
	for (;;) {
		int err = poll_events();
		if (err < 0)
			return err;
		std::uint64_t answer = slot.load(std::memory_order_acquire);
		if (answer != answer_word(seq, kPending))
			return static_cast<std::int32_t>(static_cast<std::uint32_t>(answer));
		std::uint64_t now = sys::monotonic_ns();
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		pollfd p{usable_fd(), POLLIN, 0};
		// Short slices: another thread may read our answer from the shared socket.
		std::uint64_t left_ms = (deadline_ns - now + 999'999) / 1'000'000;
		poll(&p, 1, left_ms < 10 ? static_cast<int>(left_ms) : 10);
	}
}

void Client::account(const void *event)
{
	tld_broker_event ev;
	memcpy(&ev, event, sizeof(ev));
	if (ev.hdr.magic != TLD_BROKER_MAGIC || ev.hdr.version != TLD_BROKER_VERSION)
		return;
	dropped_.fetch_add(ev.dropped, std::memory_order_relaxed);
	if (ev.hdr.type == TLD_BROKER_ERROR) {
		errors_.fetch_add(1, std::memory_order_relaxed);
		if (ev.error == -ESRCH)
			gone_.fetch_add(1, std::memory_order_relaxed);
		last_error_.store(ev.error, std::memory_order_relaxed);
		last_error_type_.store(ev.req_type, std::memory_order_relaxed);
		last_error_tid_.store(ev.tid, std::memory_order_relaxed);
	}
	// An ERROR also answers the request: anyone waiting for it learns the verdict.
	// Only a reserved slot takes it: see reserve_answer().
	if (ev.hdr.type == TLD_BROKER_ACK || ev.hdr.type == TLD_BROKER_ERROR) {
		std::uint64_t pending = answer_word(ev.hdr.seq, kPending);
		answers_[ev.hdr.seq % kAnswers].compare_exchange_strong(
		        pending, answer_word(ev.hdr.seq, ev.error), std::memory_order_acq_rel);
	}
}

int Client::usable_fd()
{
	int fd = fd_.load(std::memory_order_acquire);
	if (fd < 0 || sock_id_.is(fd))
		return fd;
	// A mismatch may also be a reconnect swapping sockets right now: decide under its lock.
	pthread_mutex_lock(&lock_);
	fd = fd_.load(std::memory_order_acquire);
	if (fd >= 0 && !sock_id_.is(fd)) {
		fd_.store(-1, std::memory_order_release);
		state_.store((state_.load(std::memory_order_relaxed) | kBroken) + 1,
		             std::memory_order_release);
		next_try_ns_.store(0, std::memory_order_relaxed);
		fd = -1;
	}
	pthread_mutex_unlock(&lock_);
	return fd;
}

int Client::poll_events()
{
	// recv() on a number the program reused would eat the program's data.
	int fd = usable_fd();
	if (fd < 0)
		return -ENOTCONN;
	int errors = 0;
	for (;;) {
		std::uint64_t state = state_.load(std::memory_order_acquire);
		alignas(8) unsigned char buf[TLD_BROKER_MSG_SIZE];
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == static_cast<ssize_t>(sizeof(buf))) {
			account(buf);
			errors += reinterpret_cast<tld_broker_event *>(buf)->hdr.type ==
			          TLD_BROKER_ERROR;
			continue;
		}
		// End of file: tldd is gone; the next request reconnects.
		if (n == 0 || (n < 0 && connection_lost(-errno))) {
			mark_broken(state);
			return errors;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		return errors;
	}
}

ClientStats Client::stats() const
{
	ClientStats s;
	s.sent = sent_.load(std::memory_order_relaxed);
	s.send_failed = send_failed_.load(std::memory_order_relaxed);
	s.errors = errors_.load(std::memory_order_relaxed);
	s.gone = gone_.load(std::memory_order_relaxed);
	s.dropped = dropped_.load(std::memory_order_relaxed);
	s.reconnects = reconnects_.load(std::memory_order_relaxed);
	s.last_error = last_error_.load(std::memory_order_relaxed);
	s.last_error_type = last_error_type_.load(std::memory_order_relaxed);
	s.last_error_tid = last_error_tid_.load(std::memory_order_relaxed);
	return s;
}

void Client::after_fork()
{
	// Only the forking thread exists here; the lock may have been held by another one.
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	memcpy(&lock_, &fresh, sizeof(lock_));
	// Slots the parent's other threads reserved: nobody here will ever release them.
	for (auto &answer : answers_)
		answer.store(0, std::memory_order_relaxed);
	close();
	memfd_.store(-1, std::memory_order_relaxed);
	board_.store(-1, std::memory_order_relaxed);
}

void Client::close()
{
	int fd = fd_.exchange(-1, std::memory_order_acq_rel);
	if (fd >= 0 && sock_id_.is(fd))
		::close(fd);
	state_.store((state_.load(std::memory_order_relaxed) | kBroken) + 1,
	             std::memory_order_release);
	next_try_ns_.store(0, std::memory_order_relaxed);
}

} // namespace tld::broker
