// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "fd_closer.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>

#include "sys/clock.h"

namespace tld::tldd {

namespace {

struct Queue {
	std::deque<int> fds;
	bool taken = false;              // a thread is working on this queue
	std::uint64_t closing_since = 0; // CLOCK_MONOTONIC ns the running close began; 0 if none
};

} // namespace

struct FdCloser::State {
	std::mutex mu;
	std::condition_variable cv;
	std::unordered_map<uid_t, Queue> queues; // references stay valid across rehashing
	unsigned threads = 0, idle = 0;
	bool stop = false;
};

namespace {

using State = FdCloser::State;

// Takes the queue of one uid nobody works on, closes all of it, and looks for the next.
void work(const std::shared_ptr<State> &st)
{
	pthread_setname_np(pthread_self(), "tldd-closer");
	std::unique_lock lock(st->mu);
	for (;;) {
		auto it = st->queues.begin();
		while (it != st->queues.end() && (it->second.taken || it->second.fds.empty()))
			++it;
		if (it == st->queues.end()) {
			if (st->stop)
				break;
			st->idle++;
			st->cv.wait(lock);
			st->idle--;
			continue;
		}
		const uid_t uid = it->first;
		Queue &q = it->second;
		q.taken = true;
		while (!q.fds.empty()) {
			int fd = q.fds.front();
			q.fds.pop_front();
			q.closing_since = sys::monotonic_ns();
			lock.unlock();
			::close(fd);
			lock.lock();
		}
		q.closing_since = 0;
		q.taken = false;
		st->queues.erase(uid);
	}
	st->threads--;
}

} // namespace

FdCloser::FdCloser() : st_(std::make_shared<State>()) {}

FdCloser::~FdCloser()
{
	// Threads finish their queues and exit; one stuck in a close stays behind holding the
	// state, and goes with the process.
	std::lock_guard lock(st_->mu);
	st_->stop = true;
	st_->cv.notify_all();
}

void FdCloser::close_later(uid_t uid, Fd fd)
{
	if (!fd)
		return;
	std::lock_guard lock(st_->mu);
	Queue &q = st_->queues[uid];
	q.fds.push_back(fd.release());
	if (q.taken)
		return;
	if (st_->idle > 0) {
		st_->cv.notify_one();
	} else if (st_->threads < kMaxThreads) {
		st_->threads++;
		// Started from the event loop, so with its signals blocked: SIGTERM stays the
		// loop's (and a close here is not cut short by one).
		std::thread([st = st_] { work(st); }).detach();
	}
}

bool FdCloser::can_take(uid_t uid)
{
	std::lock_guard lock(st_->mu);
	auto it = st_->queues.find(uid);
	if (it == st_->queues.end())
		return true;
	const Queue &q = it->second;
	if (q.fds.size() + (q.closing_since ? 1 : 0) + kScmMaxFd > kQuota)
		return false;
	return !q.closing_since || sys::monotonic_ns() - q.closing_since < kWedgedNs;
}

std::size_t FdCloser::pending()
{
	std::lock_guard lock(st_->mu);
	std::size_t n = 0;
	for (auto &[uid, q] : st_->queues)
		n += q.fds.size() + (q.closing_since ? 1 : 0);
	return n;
}

std::size_t FdCloser::pending(uid_t uid)
{
	std::lock_guard lock(st_->mu);
	auto it = st_->queues.find(uid);
	return it == st_->queues.end() ? 0
	                               : it->second.fds.size() + (it->second.closing_since ? 1 : 0);
}

} // namespace tld::tldd
