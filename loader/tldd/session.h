// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// One connected client: who it is, its memfd mapped into tldd, and the threads registered on
// its behalf. Everything a client costs tldd is owned here and released when it goes.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "config/daemon_config.h"
#include "fd_closer.h"
#include "identity.h"
#include "sys/fd.h"
#include "sys/result.h"
#include "wire/codec.h"

namespace tld::tldd {

class Control;

// What a session needs from the daemon; owned by the Broker, outlives every session.
struct SessionContext {
	int map_fd = -1;
	int broker_map_fd = -1; // tld_broker_map: which entries tldd made (-1: none kept)
	const config::DaemonLimits *limits = nullptr;
	FdCloser *closer = nullptr;
	Control *control = nullptr; // QUERY, SET and DUMP from tldctl (control.h)
};

class Session {
public:
	Session(Fd sock, Peer peer, const SessionContext &ctx);
	~Session();
	Session(const Session &) = delete;
	Session &operator=(const Session &) = delete;

	int fd() const { return sock_.get(); }
	pid_t pid() const { return peer_.tgid; }
	uid_t uid() const { return peer_.uid; } // at connect (identity.h)
	// Whether the client ever sent a well-formed request (broker.cpp's HELLO deadline).
	bool heard() const { return heard_; }
	// For tldctl's QUERY (control.cpp).
	bool has_hello() const { return static_cast<bool>(memfd_); }
	const std::unordered_set<pid_t> &threads() const { return threads_; }
	std::uint64_t mapped_bytes() const { return pages_ * 4096; }
	bool at_thread_limit() const { return at_thread_limit_; }

	// Handles at most `budget` queued messages, so one busy client cannot starve the others
	// (epoll is level-triggered: the rest waits for the next round). Returns false when the
	// connection must be closed: end of file, a protocol violation, or the peer process gone.
	bool on_readable(unsigned budget);

	// Sends an ERROR event that does not answer a request (e.g. too many clients).
	static void refuse(int sock, int error);

	// The board (session_board.cpp). scan_due(): CLOCK_MONOTONIC ns at which the board
	// should be read, 0 when nothing is pending. scan_board() reads it now, a bounded part
	// of it per call (the rest is due at once, for the next turn of the loop); false when
	// the connection must be closed.
	std::uint64_t scan_due() const { return scan_due_ns_; }
	bool scan_board();

private:
	bool handle_one();
	int handle(const broker::Request &req, Fd passed, pid_t *tid);
	int hello(const broker::Request &req, Fd memfd);
	// A client's memfd (HELLO's or BOARD's): a memfd sealed against shrinking, so no truncate
	// can fault tldd or pinned pages, of at least a page. 0 with *size, or -errno after
	// rejecting @req with the reason.
	int check_memfd(const broker::Request &req, int fd, std::uint64_t *size);
	// Maps `bytes` of it shared, read-write (-EACCES when it is write-sealed).
	static int map_memfd(int fd, std::uint64_t bytes, void **out);
	int register_thread(const broker::Request &req, Fd passed, pid_t *tid);
	Result<void> register_block(const broker::Request &req, int pidfd, pid_t tid);
	int board(const broker::Request &req, Fd memfd); // session_board.cpp
	void follow_board_growth(); // the client grew its board: map the larger memfd
	int doorbell(const broker::Request &req);
	int sync(const broker::Request &req);
	bool scan_slot(std::uint32_t i, std::uint64_t slot);
	void schedule_scan();
	int unregister_thread(const broker::Request &req, Fd passed, pid_t *tid);
	int control_request(const broker::Request &req, Fd passed); // control.cpp
	Result<Fd> thread_pidfd(const broker::Request &req, Fd passed, pid_t *tid);
	int grow_mapping(std::uint32_t page);
	bool make_room();
	void reply(const broker::Request &req, std::uint16_t type, int error, pid_t tid);
	void reject(const broker::Request &req, int error, pid_t tid, const char *why);
	// The same, the reason being @err's context (a step or a why, not strerror's text).
	void reject(const broker::Request &req, const Error &err, pid_t tid);

	Fd sock_;
	Peer peer_;
	SessionContext ctx_;
	bool same_pidns_ = false;               // the client's getpid() matched ours for it
	Fd memfd_;                              // kept to notice when the client grows it
	void *map_ = nullptr;                   // tldd's own mapping of the memfd
	std::uint64_t pages_ = 0;               // whole pages mapped
	std::unordered_set<pid_t> threads_;     // registered through this connection
	Fd board_fd_;                           // the client's board (protocol.h), if it sent one
	void *board_ = nullptr;                 // tldd's mapping of it
	std::uint64_t board_bytes_ = 0;         // its length
	std::uint32_t board_slots_ = 0;         // slots in that mapping
	std::vector<std::uint64_t> board_seen_; // per slot: the value last handled, done once
	std::uint64_t scan_due_ns_ = 0;
	// A scan runs in bounded steps, one per turn of the loop (session_board.cpp): where the
	// one in progress is, the tids it met, and a SYNC waiting for it to end.
	bool scanning_ = false;
	bool rescan_ = false; // a DOORBELL came during the scan: scan again after it
	std::uint32_t scan_next_ = 0, scan_end_ = 0, scan_block_size_ = 0;
	std::unordered_set<pid_t> scan_tids_;
	unsigned scan_repeats_ = 0;
	bool sync_waiting_ = false;
	broker::Request sync_req_;
	std::uint32_t dropped_ = 0; // events the client did not make room for
	std::uint64_t registered_ = 0, rejected_ = 0;
	unsigned logged_ = 0;
	bool fatal_ = false;
	bool heard_ = false;
	bool at_thread_limit_ = false; // a registration was refused for max-threads-per-client
};

} // namespace tld::tldd
