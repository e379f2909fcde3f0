// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The cost of `tldctl list` with many registered threads (target: under 1 s for 10,000).
//
// Pins a fresh tld_data_map in a private bpffs, starts N threads (default 10,000) in this
// process that each register directly and set three keys, then times:
//   iterator  one run of the dump iterator and parsing its output, in process (Dumper)
//   list      the whole `tldctl list --json` command: exec, BPF load, read, decode, print
//   list -p   the same with --pid (the iterator visits only this process's threads)
//   fixed     `tldctl list --pid 1`: everything but the threads (exec, BTF, verifier, ...)
//
// Usage: tldctl_list_bench [THREADS]
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <string>
#include <sys/mount.h>
#include <unistd.h>
#include <vector>

#include <bpf/bpf.h>
#include <tld/abi.h> // before the skeleton, which names struct tld_btf_anchor
#include <tld/tld.h>

#include "process.h"
#include "progs/dump.h"
#include "tld_maps.skel.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Shared {
	int map_fd = -1;
	tld_key_t keys[3];
	std::mutex mu;
	std::condition_variable cv;
	int ready = 0, failed = 0;
	bool done = false;
};

void *worker(void *arg)
{
	auto *s = static_cast<Shared *>(arg);
	bool ok = true;
	for (int k = 0; k < 3; k++) {
		auto *v = static_cast<uint32_t *>(tld_get_data(s->map_fd, s->keys[k]));
		if (!v) {
			ok = false;
			break;
		}
		*v = uint32_t(k);
	}
	std::unique_lock lock(s->mu);
	(ok ? s->ready : s->failed)++;
	s->cv.notify_all();
	s->cv.wait(lock, [&] { return s->done; });
	return nullptr;
}

// The wall time of one run of @argv, output discarded; exits if it fails.
double run_ms(const std::vector<std::string> &argv)
{
	auto t0 = Clock::now();
	tld::test::RunResult r =
	        tld::test::run({.argv = argv, .inherit_env = true, .stdout_file = "/dev/null"});
	double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
	if (r.status != 0) {
		fprintf(stderr, "%s failed (status %d): %s\n", argv[0].c_str(), r.status,
		        r.err.c_str());
		exit(1);
	}
	return ms;
}

} // namespace

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	// 1. A private bpffs with tld_data_map pinned where tldctl looks for it.
	char dir[] = "/tmp/tldctl-list-bench-XXXXXX";
	if (!mkdtemp(dir) || mount("bpf", dir, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "mounting a private bpffs: %s (needs root)\n", strerror(errno));
		return 1;
	}
	tld_maps *maps = tld_maps__open_and_load();
	std::string pin = std::string(dir) + "/tld_data_map";
	if (!maps || bpf_obj_pin(bpf_map__fd(maps->maps.tld_data_map), pin.c_str())) {
		fprintf(stderr, "creating and pinning tld_data_map: %s\n", strerror(errno));
		return 1;
	}

	// 2. N registered threads with small stacks, parked until the end.
	Shared s;
	s.map_fd = bpf_map__fd(maps->maps.tld_data_map);
	const char *names[] = {"class", "prio", "deadline"};
	for (int k = 0; k < 3; k++)
		s.keys[k] = tld_create_key(names[k], sizeof(uint32_t));
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	std::vector<pthread_t> threads(static_cast<size_t>(n));
	auto t0 = Clock::now();
	for (int i = 0; i < n; i++) {
		if (pthread_create(&threads[size_t(i)], &attr, worker, &s)) {
			fprintf(stderr, "pthread_create #%d failed\n", i);
			return 1;
		}
	}
	{
		std::unique_lock lock(s.mu);
		s.cv.wait(lock, [&] { return s.ready + s.failed == n; });
	}
	double start_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
	if (s.failed) {
		fprintf(stderr, "%d threads could not register\n", s.failed);
		return 1;
	}
	printf("tldctl list with %d registered threads (started and registered in %.0f ms)\n", n,
	       start_ms);

	// 3. The iterator alone, in process.
	auto dumper = tld::ctl::Dumper::load(s.map_fd, -1);
	if (!dumper) {
		fprintf(stderr, "loading the dump iterator: %s\n",
		        dumper.error().message().c_str());
		return 1;
	}
	for (int round = 0; round < 3; round++) {
		auto t1 = Clock::now();
		auto threads_seen = dumper->read();
		double ms = std::chrono::duration<double, std::milli>(Clock::now() - t1).count();
		if (!threads_seen || threads_seen->size() < size_t(n)) {
			fprintf(stderr, "the iterator saw %zu threads\n",
			        threads_seen ? threads_seen->size() : 0);
			return 1;
		}
		printf("iterator + parse   %8.1f ms  (%zu threads)\n", ms, threads_seen->size());
	}

	// 4. The whole command, as an operator runs it.
	std::string pid = std::to_string(getpid());
	for (int round = 0; round < 3; round++) {
		printf("tldctl list --json %8.1f ms\n",
		       run_ms({TLDCTL_PATH, "--pin-root", dir, "list", "--json"}));
		printf("tldctl list        %8.1f ms\n",
		       run_ms({TLDCTL_PATH, "--pin-root", dir, "list"}));
		printf("tldctl list --pid  %8.1f ms\n",
		       run_ms({TLDCTL_PATH, "--pin-root", dir, "list", "--pid", pid}));
		printf("fixed (--pid 1)    %8.1f ms\n",
		       run_ms({TLDCTL_PATH, "--pin-root", dir, "list", "--pid", "1"}));
	}

	{
		std::lock_guard lock(s.mu);
		s.done = true;
		s.cv.notify_all();
	}
	for (auto t : threads)
		pthread_join(t, nullptr);
	tld_maps__destroy(maps);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return 0;
}
