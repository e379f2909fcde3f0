// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What the tldd tests share: the real daemon binary run under a test NOTIFY_SOCKET, a client
// arena in a sealed memfd, the BPF probe that reads registrations, a raw protocol connection
// for requests the client library would never send, and forked client processes.
#pragma once

#include <csignal>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include <tld/abi.h>

#include "bpffs.h"
#include "sys/fd.h"
#include "wire/protocol.h"

struct tldd_probe;

namespace tld::test {

// The tldd binary (TLDD_PATH, set by CMake): pins under <pin_dir>/tld, its socket, notify
// socket and log (stderr) in a temporary directory of its own that uid 65534 can traverse.
class Tldd {
public:
	explicit Tldd(const std::string &pin_dir);
	// Shares `other`'s socket directory (a second instance on the same paths).
	Tldd(const std::string &pin_dir, const Tldd &other);
	~Tldd();
	Tldd(const Tldd &) = delete;
	Tldd &operator=(const Tldd &) = delete;

	// Starts tldd with --pin-root/--socket of this test plus `extra`; returns after fork.
	bool start(const std::vector<std::string> &extra = {});
	// Starts and waits for READY=1; false (with the log in *why) if it does not come.
	bool start_ready(const std::vector<std::string> &extra = {}, std::string *why = nullptr);
	// The next sd_notify datagram, or "" after timeout_ms.
	std::string next_notify(int timeout_ms);
	bool wait_notify(const std::string &state, int timeout_ms);
	// Sends `sig` and reaps; returns the wait status, or -1 if it was not running.
	int stop(int sig = SIGTERM);
	// Reaps a tldd that exits by itself (a failed start); returns the wait status.
	int wait_exit(int timeout_ms);

	pid_t pid() const { return pid_; }
	std::string log() const;
	int fd_count() const;
	long rss_kb() const;

	std::string pin_root, socket_path;
	int activated_fd = -1; // handed to tldd as fd 3 with LISTEN_FDS=1 (socket activation)
	bool journal = false;  // JOURNAL_STREAM names the log file: tldd should write <N> prefixes

private:
	bool exited() const;
	TempDir own_;
	std::string dir_;
	std::string notify_path_;
	pid_t pid_ = -1;
	Fd notify_;
};

// A client arena: page 0 meta, data pages after it, in a memfd sealed against shrinking. Each
// data page's start word holds TLD_DATA_START; its block (slot(page, TLD_DATA_START)) follows.
struct Arena {
	static Arena create(std::size_t pages, bool seal = true);
	Arena() = default;
	Arena(Arena &&) = default;
	Arena &operator=(Arena &&) = default;
	~Arena();

	volatile std::uint64_t *slot(std::uint32_t page, std::uint16_t start) const
	{
		return reinterpret_cast<volatile std::uint64_t *>(base + page * 4096ul + start);
	}

	Fd fd;
	char *base = nullptr;
	std::size_t pages = 0;
};

struct ProbeResult {
	int found = 0; // 1 registered, 0 not, < 0 broken entry or no such task
	std::uint64_t value = 0;
	std::uint32_t start = 0;
	std::uint32_t meta_cnt = 0;
};

// tests/tldd/probe.bpf.c loaded against the pinned tld_data_map.
class Probe {
public:
	Probe() = default;
	~Probe();
	Probe(const Probe &) = delete;
	Probe &operator=(const Probe &) = delete;
	// Returns "" or why the probe could not load.
	std::string load(const std::string &pin_path);
	ProbeResult read_tid(pid_t tid) const;
	ProbeResult read_self() const;
	// User-space lookup by thread pidfd: 1 an entry exists, 0 none, < 0 -errno.
	int has_entry(pid_t tid) const;

private:
	tldd_probe *skel_ = nullptr;
};

// A connection speaking the protocol by hand.
class RawConn {
public:
	int connect(const std::string &path); // 0 or -errno
	int send(std::uint16_t type, std::uint32_t flags, std::int32_t tid, std::uint32_t page,
	         std::uint16_t start, std::uint16_t size, int fd = -1, std::uint32_t seq = 0);
	int send_bytes(const void *buf, std::size_t len, int fd = -1);
	// The next event, or nullopt after timeout_ms (or at end of file).
	std::optional<tld_broker_event> event(int timeout_ms);
	// Sends SYNC and returns the first ERROR before its ACK (nullopt if none came).
	std::optional<tld_broker_event> error_before_sync(int timeout_ms);
	// True when tldd closed the connection within timeout_ms.
	bool closed_by_peer(int timeout_ms);
	int fd() const { return fd_.get(); }

private:
	Fd fd_;
	std::uint32_t seq_ = 100;
};

// A forked process running `body(fd)`; fd is its end of a SOCK_SEQPACKET pair with the test.
// The exit status is body's return value.
class Child {
public:
	static Child spawn(const std::function<int(int)> &body);
	Child() = default;
	Child(Child &&o) noexcept;
	Child &operator=(Child &&o) noexcept;
	~Child();
	int wait(); // exit status, or -1
	void kill_now();
	int fd() const { return sock_.get(); }
	pid_t pid() const { return pid_; }

private:
	pid_t pid_ = -1;
	Fd sock_;
};

// Makes the calling (forked) process uid/gid 65534 with no supplementary groups.
bool become_nobody();
// Sends/receives one fixed-size struct over a SEQPACKET fd (timeout in ms, -1 forever).
bool send_obj(int fd, const void *obj, std::size_t len);
bool recv_obj(int fd, void *obj, std::size_t len, int timeout_ms);
pid_t gettid_now();

} // namespace tld::test
