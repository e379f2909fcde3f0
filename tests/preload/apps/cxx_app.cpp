// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// std::thread workers that name themselves; knows nothing of tld. Prints "T <pid> <tid> <role>"
// per thread, then "READY", and exits when stdin closes.
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <pthread.h>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

int main()
{
	std::mutex mu;
	std::vector<std::thread> threads;
	std::size_t ready = 0;
	std::condition_variable cv;
	for (int i = 0; i < 4; i++) {
		threads.emplace_back([&, i] {
			std::string name = "worker-" + std::to_string(10 + i);
			pthread_setname_np(pthread_self(), name.c_str());
			std::unique_lock lock(mu);
			std::printf("T %d %ld %s\n", getpid(), syscall(SYS_gettid), name.c_str());
			std::fflush(stdout);
			ready++;
			cv.notify_all();
			cv.wait(lock, [&] { return ready == 100; });
		});
	}
	{
		std::unique_lock lock(mu);
		cv.wait(lock, [&] { return ready == 4; });
		std::printf("T %d %ld main\nREADY\n", getpid(), syscall(SYS_gettid));
		std::fflush(stdout);
	}
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0) {
	}
	{
		std::lock_guard lock(mu);
		ready = 100;
	}
	cv.notify_all();
	for (auto &t : threads)
		t.join();
	return 0;
}
