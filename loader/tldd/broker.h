// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The event loop: one thread, epoll over the listening socket, a signalfd and every client.
// Each wakeup gives each ready client a bounded number of messages, so nobody starves.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "control.h"
#include "fd_closer.h"
#include "session.h"
#include "sys/fd.h"
#include "sys/result.h"

namespace tld::tldd {

class Broker {
public:
	// The signals the loop takes over; block them in every thread before starting any.
	static void block_signals();

	// @map_fd: tld_data_map; @broker_map_fd: tld_broker_map, marked for every registration.
	Broker(int listen_fd, int map_fd, int broker_map_fd, const config::DaemonLimits &limits);
	Result<void> init();

	// Serves until SIGTERM or SIGINT. SIGHUP calls `reload`, which may change the limits.
	Result<void> run(const std::function<void(config::DaemonLimits *)> &reload);

	std::size_t clients() const { return sessions_.size(); }

private:
	void accept_clients();
	void on_client(int fd, std::uint32_t events);
	void close_client(int fd);
	bool on_signal(const std::function<void(config::DaemonLimits *)> &reload);
	void pause_accept(bool pause);
	void queue_scan(int fd);
	int scan_timeout_ms() const;
	void run_due_scans();
	// Whether a connection of `uid` may take a slot now (docs/broker.md, "Limits").
	bool admit_connection(uid_t uid) const;
	// Logs a refused connection at most once per uid every few seconds, with a count.
	void log_refusal(uid_t uid, const char *why);
	void close_silent_clients();
	// Closes a connection that never became a session: here if nothing is queued on it,
	// else on the closer (queued messages may carry fds).
	void drop_unadmitted(Fd sock, uid_t uid);

	int listen_fd_;
	config::DaemonLimits limits_;
	Fd epoll_;
	Fd signals_;
	FdCloser closer_;
	SessionContext ctx_;
	std::unordered_map<int, std::unique_ptr<Session>> sessions_;
	Control control_; // after limits_ and sessions_, which it points at
	bool accept_paused_ = false;
	// Board scans waiting for their delay: due time -> client fd. An entry may be stale (the
	// client scanned at a SYNC, or left); run_due_scans() checks with the session.
	std::multimap<std::uint64_t, int> due_;
	std::unordered_map<uid_t, unsigned> per_uid_; // connections held by each uid
	struct Refusals {
		std::uint64_t logged_ns = 0;
		unsigned unlogged = 0;
	};
	std::unordered_map<uid_t, Refusals> refusals_;
	// Connections that have not yet said anything, in accept order: (deadline, fd, session).
	struct Silent {
		std::uint64_t deadline;
		int fd;
		const Session *session;
	};
	std::deque<Silent> silent_;
};

} // namespace tld::tldd
