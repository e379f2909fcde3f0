// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// A client process for the tests: forks, optionally becomes uid 65534, keeps an arena and a
// broker Client, and obeys commands from the test: start threads that register themselves,
// store new values into every block, report the client's counters, quit.
#pragma once

#include <cstdint>
#include <string>

#include "harness.h"

namespace tld::test {

struct ClientThread {
	std::int32_t tid;
	std::uint32_t page;
	std::uint16_t start;
	std::uint16_t pad;
};

struct ClientReply {
	std::int32_t err = 0; // of the command (sync's verdict for 'R')
	std::uint32_t n = 0;  // threads in t[] ('R': the new ones)
	std::uint64_t errors = 0, gone = 0, sent = 0, send_failed = 0, reconnects = 0;
	std::int32_t last_error = 0;
	std::uint32_t pad = 0;
	ClientThread t[32];
};

class ClientProc {
public:
	// use_pidfd: register with thread pidfds instead of tids.
	static ClientProc spawn(const std::string &socket, bool nobody, bool use_pidfd = false);

	// Starts n (<= 32) threads that store base+k in their block and register; waits for tldd.
	bool start_threads(std::uint32_t n, std::uint64_t base, ClientReply *out);
	// Every thread k stores base+k.
	bool write_all(std::uint64_t base);
	bool stats(ClientReply *out);
	int quit();

	pid_t pid() const { return child_.pid(); }
	Child &child() { return child_; }

private:
	bool command(char op, std::uint32_t n, std::uint64_t value, ClientReply *out);
	Child child_;
};

} // namespace tld::test
