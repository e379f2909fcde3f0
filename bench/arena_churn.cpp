// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The arena under thread churn (issue 13): a program under the preload, registering through
// the real tldd, starts short threads at `rate` a second for `seconds`; every half second the
// arena's size (its memfd, from /proc) and the process's address space are sampled. With a page
// a thread, a quarantine of a second would hold rate pages; blocks of exited threads come back
// once the thread is gone, so the arena must stop growing at a small bound. Needs root.
//
//   tld_bench_arena_churn [rate] [seconds]      (default 30000 10)
// Prints one JSON object per sample, then a summary.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <pthread.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bpffs.h"
#include "harness.h"
#include "tests/preload/harness.h"

namespace {

using Clock = std::chrono::steady_clock;

void *empty(void *arg)
{
	return arg;
}

// The child: `creators` threads each starting detached threads at rate / creators a second.
int churn(double rate, double seconds)
{
	constexpr int kCreators = 2;
	std::vector<std::thread> creators;
	std::vector<unsigned long> made(kCreators);
	auto t0 = Clock::now();
	for (int c = 0; c < kCreators; c++)
		creators.emplace_back([&, c] {
			pthread_attr_t attr;
			pthread_attr_init(&attr);
			pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
			pthread_attr_setstacksize(&attr, 64 << 10);
			double each = kCreators / rate;
			for (unsigned long k = 0;; k++) {
				auto due = t0 + std::chrono::duration<double>(k * each);
				if (due - t0 > std::chrono::duration<double>(seconds))
					break;
				std::this_thread::sleep_until(due);
				pthread_t t;
				while (pthread_create(&t, &attr, empty, nullptr) == EAGAIN)
					std::this_thread::yield();
				made[c]++;
			}
		});
	for (auto &t : creators)
		t.join();
	unsigned long total = 0;
	for (auto m : made)
		total += m;
	double took = std::chrono::duration<double>(Clock::now() - t0).count();
	std::printf("{\"child\": true, \"threads\": %lu, \"seconds\": %.2f}\n", total, took);
	return 0;
}

// The child's arena memfd size in pages (0 if none yet), found by its name in /proc/PID/fd.
long arena_pages(pid_t pid)
{
	std::string dir = "/proc/" + std::to_string(pid) + "/fd";
	long pages = 0;
	if (DIR *d = opendir(dir.c_str())) {
		while (dirent *e = readdir(d)) {
			std::string path = dir + "/" + e->d_name;
			char target[256] = {};
			if (readlink(path.c_str(), target, sizeof(target) - 1) <= 0 ||
			    !std::strstr(target, "memfd:tld-arena"))
				continue;
			struct stat st;
			if (stat(path.c_str(), &st) == 0)
				pages = st.st_size / 4096;
		}
		closedir(d);
	}
	return pages;
}

long status_kb(pid_t pid, const char *field)
{
	std::ifstream f("/proc/" + std::to_string(pid) + "/status");
	std::string line;
	while (std::getline(f, line))
		if (line.rfind(field, 0) == 0)
			return std::atol(line.c_str() + std::strlen(field));
	return -1;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc > 1 && std::strcmp(argv[1], "--child") == 0)
		return churn(std::atof(argv[2]), std::atof(argv[3]));
	double rate = argc > 1 ? std::atof(argv[1]) : 30000;
	double seconds = argc > 2 ? std::atof(argv[2]) : 10;

	tld::test::BpffsMount bpffs;
	tld::test::Tldd tldd{bpffs.path()};
	if (!bpffs.ok() || !tldd.start_ready({"--log-level", "warn"})) {
		std::fprintf(stderr, "tldd did not start (root and bpffs needed)\n");
		return 1;
	}
	tld::test::TempDir dir;
	std::string config = dir.path() + "/keys.conf";
	std::ofstream(config) << "[options]\nregistration = broker\nsocket = " << tldd.socket_path
	                      << "\npin_root = " << tldd.pin_root
	                      << "\n\n[key.prio]\ntype = u32\ndefault = 1\n";
	char self[4096] = {};
	if (readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0)
		return 1;
	tld::test::App app({self, "--child", std::to_string(rate), std::to_string(seconds)},
	                   tld::test::preload_env(config));
	long max_pages = 0, pages_half = 0;
	auto t0 = Clock::now();
	for (;;) {
		long pages = arena_pages(app.pid());
		long vm = status_kb(app.pid(), "VmSize:");
		if (vm < 0)
			break;
		double t = std::chrono::duration<double>(Clock::now() - t0).count();
		std::printf(
		        "{\"t\": %.1f, \"arena_pages\": %ld, \"vm_kb\": %ld, \"threads\": %ld}\n",
		        t, pages, vm, status_kb(app.pid(), "Threads:"));
		std::fflush(stdout);
		if (pages > max_pages)
			max_pages = pages;
		if (t <= seconds / 2)
			pages_half = max_pages;
		if (t > seconds + 5)
			break;
		usleep(500000);
	}
	int status = app.finish(60000);
	std::printf("%s", app.out().c_str());
	std::printf("{\"rate\": %.0f, \"seconds\": %.0f, \"max_arena_pages\": %ld, "
	            "\"max_arena_pages_first_half\": %ld, \"exit\": %d}\n",
	            rate, seconds, max_pages, pages_half, status);
	return status == 0 ? 0 : 1;
}
