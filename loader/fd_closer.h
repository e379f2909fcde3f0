// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Closes fds of unknown kind on a helper thread. close(2) calls the file's ->flush, and for a
// FUSE file that is a request to a server the client may run itself and never answer: done
// inline it would stall every client of tldd. Pidfds and memfds are closed inline.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "sys/fd.h"

namespace tld::tldd {

class FdCloser {
public:
	FdCloser();
	~FdCloser();
	FdCloser(const FdCloser &) = delete;
	FdCloser &operator=(const FdCloser &) = delete;

	void close_later(Fd fd);
	// fds queued and not yet closed (a growing number means a close is stuck).
	std::size_t pending();

private:
	void run();

	std::mutex mu_;
	std::condition_variable cv_;
	std::deque<int> queue_;
	bool stop_ = false;
	std::size_t closing_ = 0;
	std::thread thread_;
};

} // namespace tld::tldd
