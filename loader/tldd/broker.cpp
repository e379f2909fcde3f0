// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "broker.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "sys/clock.h"
#include "sys/pidfd_compat.h"
#include "wire/protocol.h"

namespace tld::tldd {

namespace {

constexpr unsigned kBudget = 64; // messages per client per wakeup
// A connection that sends no well-formed request this long after accept is closed: idle
// connections must not hold slots (the preload says HELLO at once, tldctl its request).
constexpr std::uint64_t kHelloDeadlineNs = 10'000'000'000;
// Refused connections: one log line per uid per this long at most.
constexpr std::uint64_t kRefusalLogNs = 10'000'000'000;

sigset_t loop_signals()
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	return set;
}

} // namespace

void Broker::block_signals()
{
	sigset_t set = loop_signals();
	pthread_sigmask(SIG_BLOCK, &set, nullptr);
	// Every send uses MSG_NOSIGNAL; this covers anything that does not.
	signal(SIGPIPE, SIG_IGN);
}

Broker::Broker(int listen_fd, int map_fd, int broker_map_fd, const config::DaemonLimits &limits)
    : listen_fd_(listen_fd), limits_(limits), control_(map_fd, broker_map_fd, &limits_, &sessions_)
{
	ctx_.map_fd = map_fd;
	ctx_.broker_map_fd = broker_map_fd;
	ctx_.limits = &limits_;
	ctx_.closer = &closer_;
	ctx_.control = &control_;
}

Result<void> Broker::init()
{
	epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
	if (!epoll_)
		return error_from_errno("epoll_create1", errno);
	sigset_t set = loop_signals();
	signals_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
	if (!signals_)
		return error_from_errno("signalfd", errno);
	for (int fd : {listen_fd_, signals_.get()}) {
		epoll_event ev{};
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
			return error_from_errno("epoll_ctl", errno);
	}
	return {};
}

Result<void> Broker::run(const std::function<void(config::DaemonLimits *)> &reload)
{
	epoll_event evs[64];
	for (;;) {
		int n = epoll_wait(epoll_.get(), evs, 64, scan_timeout_ms());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_from_errno("epoll_wait", errno);
		}
		run_due_scans();
		close_silent_clients();
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == listen_fd_)
				accept_clients();
			else if (fd == signals_.get()) {
				if (!on_signal(reload))
					return {};
			} else
				on_client(fd, evs[i].events);
		}
	}
}

void Broker::accept_clients()
{
	for (;;) {
		Fd sock(accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
		if (!sock) {
			if (errno == EMFILE || errno == ENFILE) {
				// Out of fds: stop accepting until a client leaves rather than spin
				// on a listening socket that stays readable.
				LOG_E("accept: %s; pausing accept until a client leaves",
				      strerror(errno));
				pause_accept(true);
			} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				LOG_E("accept: %s", strerror(errno));
			}
			return;
		}
		auto peer = identify_peer(sock.get());
		if (!peer) {
			drop_unadmitted(std::move(sock), static_cast<uid_t>(-1));
			// A process that connected and exited before the accept is routine (a
			// short-lived program): not worth a warning.
			if (peer.error().code == ESRCH)
				LOG_D("refusing a client: %s", peer.error().message().c_str());
			else
				LOG_W("refusing a client: %s", peer.error().message().c_str());
			continue;
		}
		if (!closer_.can_take(peer->uid)) {
			log_refusal(peer->uid, "its fds are not closed yet (a close blocks)");
			Session::refuse(sock.get(), -EUSERS);
			drop_unadmitted(std::move(sock), peer->uid);
			continue;
		}
		if (!admit_connection(peer->uid)) {
			log_refusal(peer->uid, "its share of --max-clients");
			Session::refuse(sock.get(), -EUSERS);
			drop_unadmitted(std::move(sock), peer->uid);
			continue;
		}
		const uid_t uid = peer->uid;
		int fd = sock.get();
		epoll_event ev{};
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
			LOG_E("epoll_ctl(client): %s", strerror(errno));
			closer_.close_later(uid, std::move(sock)); // it may have sent fds by now
			continue;
		}
		auto session = std::make_unique<Session>(std::move(sock), std::move(*peer), ctx_);
		silent_.push_back({sys::monotonic_ns() + kHelloDeadlineNs, fd, session.get()});
		sessions_.emplace(fd, std::move(session));
		per_uid_[uid]++;
	}
}

void Broker::drop_unadmitted(Fd sock, uid_t uid)
{
	// No fds from now on. What is queued (sent before tldd accepted) is read and dropped,
	// its fds given to the closer: then closing here cannot block on a close of theirs.
	int off = 0;
	setsockopt(sock.get(), SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off));
	for (int i = 0; i < 4096; i++) {
		alignas(8) unsigned char buf[TLD_BROKER_MSG_SIZE];
		FdControl ctl;
		msghdr mh;
		ssize_t n = recv_with_fds(sock.get(), buf, sizeof(buf), &ctl, &mh);
		if (n == 0 || (n < 0 && errno == EAGAIN))
			return; // drained: closing it now closes nobody's file but its own
		if (n < 0)
			break;
		for_each_passed_fd(&mh, [&](int fd) { closer_.close_later(uid, Fd(fd)); });
	}
	closer_.close_later(uid, std::move(sock));
}

// max-clients slots: root may take any; others leave a few for root (1/16), and one uid
// holds at most half, so one user's idle connections cannot lock out root or other users.
bool Broker::admit_connection(uid_t uid) const
{
	const std::size_t total = sessions_.size();
	if (total >= limits_.max_clients)
		return false;
	if (uid == 0)
		return true;
	const unsigned for_root =
	        limits_.max_clients > 1 ? std::max(1u, limits_.max_clients / 16) : 0;
	if (total + for_root >= limits_.max_clients)
		return false;
	const unsigned share = std::max(1u, limits_.max_clients / 2);
	auto it = per_uid_.find(uid);
	return it == per_uid_.end() || it->second < share;
}

void Broker::log_refusal(uid_t uid, const char *why)
{
	const std::uint64_t now = sys::monotonic_ns();
	// Bounded: forgetting every uid now and then costs at most one extra line each.
	if (refusals_.size() >= 4096 && !refusals_.count(uid))
		refusals_.clear();
	Refusals &r = refusals_[uid];
	if (r.logged_ns && now - r.logged_ns < kRefusalLogNs) {
		r.unlogged++;
		return;
	}
	LOG_W("refusing connections of uid %u: %s (%u of max-clients %u in use; %u refusals "
	      "not logged)",
	      uid, why, static_cast<unsigned>(sessions_.size()), limits_.max_clients, r.unlogged);
	r.logged_ns = now;
	r.unlogged = 0;
}

void Broker::close_silent_clients()
{
	const std::uint64_t now = sys::monotonic_ns();
	while (!silent_.empty() && silent_.front().deadline <= now) {
		Silent s = silent_.front();
		silent_.pop_front();
		auto it = sessions_.find(s.fd);
		// The same session (not a later one on a reused fd number) that never spoke.
		if (it == sessions_.end() || it->second.get() != s.session || it->second->heard())
			continue;
		LOG_D("client pid %d uid %u: no request within %llu s of connecting; closing",
		      it->second->pid(), it->second->uid(),
		      static_cast<unsigned long long>(kHelloDeadlineNs / 1'000'000'000));
		close_client(s.fd);
	}
}

void Broker::on_client(int fd, std::uint32_t events)
{
	auto it = sessions_.find(fd);
	if (it == sessions_.end())
		return;
	// Read what is queued even after a hangup: a client may close right after its last
	// UNREGISTER. End of file shows up as a zero-length read.
	bool keep = (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ? it->second->on_readable(kBudget)
	                                                       : true;
	if (!keep)
		close_client(fd);
	else
		queue_scan(fd);
}

void Broker::queue_scan(int fd)
{
	auto it = sessions_.find(fd);
	if (it == sessions_.end() || !it->second->scan_due())
		return;
	std::uint64_t due = it->second->scan_due();
	// One entry per due time and client: a session keeps its due time until it scans.
	auto range = due_.equal_range(due);
	for (auto e = range.first; e != range.second; ++e)
		if (e->second == fd)
			return;
	due_.emplace(due, fd);
}

int Broker::scan_timeout_ms() const
{
	if (due_.empty() && silent_.empty())
		return -1;
	std::uint64_t due = UINT64_MAX;
	if (!due_.empty())
		due = due_.begin()->first;
	if (!silent_.empty())
		due = std::min(due, silent_.front().deadline);
	std::uint64_t now = sys::monotonic_ns();
	if (due <= now)
		return 0;
	// Rounded up: waking before the delay is up would only spin.
	return static_cast<int>((due - now + 999'999) / 1'000'000);
}

void Broker::run_due_scans()
{
	std::uint64_t now = sys::monotonic_ns();
	while (!due_.empty() && due_.begin()->first <= now) {
		int fd = due_.begin()->second;
		due_.erase(due_.begin());
		auto it = sessions_.find(fd);
		if (it == sessions_.end())
			continue;
		std::uint64_t due = it->second->scan_due();
		if (!due)
			continue; // scanned already (a SYNC)
		if (due > now) {
			queue_scan(fd); // a later scan of a reused fd number, or rescheduled
			continue;
		}
		if (!it->second->scan_board())
			close_client(fd);
		else
			queue_scan(fd); // the next step of a long scan
	}
}

void Broker::close_client(int fd)
{
	epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
	auto it = sessions_.find(fd);
	if (it == sessions_.end())
		return;
	auto u = per_uid_.find(it->second->uid());
	if (u != per_uid_.end() && --u->second == 0)
		per_uid_.erase(u);
	sessions_.erase(it);
	// After a burst of clients, give the heap back: a long-running daemon's footprint
	// should return to its idle size.
	if (sessions_.empty()) {
		malloc_trim(0);
		// With no clients tldd is back to its idle state: what the heap holds now should
		// not grow over time (the load test compares this line before and after).
		LOG_I("no clients: heap in use %zu bytes", mallinfo2().uordblks);
	}
	if (accept_paused_)
		pause_accept(false);
}

void Broker::pause_accept(bool pause)
{
	epoll_event ev{};
	ev.events = EPOLLIN;
	ev.data.fd = listen_fd_;
	epoll_ctl(epoll_.get(), pause ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, listen_fd_, &ev);
	accept_paused_ = pause;
}

bool Broker::on_signal(const std::function<void(config::DaemonLimits *)> &reload)
{
	signalfd_siginfo si;
	while (read(signals_.get(), &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			notify::reloading();
			LOG_N("SIGHUP: reloading the configuration");
			reload(&limits_);
			notify::send("READY=1");
			continue;
		}
		LOG_N("%s: stopping; the pins stay", strsignal(static_cast<int>(si.ssi_signo)));
		notify::send("STOPPING=1");
		sessions_.clear();
		return false;
	}
	return true;
}

} // namespace tld::tldd
