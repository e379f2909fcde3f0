// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "fd_closer.h"

#include <pthread.h>
#include <unistd.h>

namespace tld::tldd {

FdCloser::FdCloser() : thread_([this] { run(); }) {}

FdCloser::~FdCloser()
{
	{
		std::lock_guard lock(mu_);
		stop_ = true;
	}
	cv_.notify_one();
	// A close stuck on a dead FUSE server would hang the join: leave the thread behind, the
	// process is exiting anyway.
	if (pending() == 0)
		thread_.join();
	else
		thread_.detach();
}

void FdCloser::close_later(Fd fd)
{
	{
		std::lock_guard lock(mu_);
		queue_.push_back(fd.release());
	}
	cv_.notify_one();
}

std::size_t FdCloser::pending()
{
	std::lock_guard lock(mu_);
	return queue_.size() + closing_;
}

void FdCloser::run()
{
	pthread_setname_np(pthread_self(), "tldd-closer");
	std::unique_lock lock(mu_);
	for (;;) {
		cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
		if (queue_.empty())
			return;
		int fd = queue_.front();
		queue_.pop_front();
		closing_++;
		lock.unlock();
		::close(fd);
		lock.lock();
		closing_--;
	}
}

} // namespace tld::tldd
