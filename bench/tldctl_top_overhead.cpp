// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// How much `tldctl top` adds to every context switch and wakeup.
//
// Loads the top programs (bpf/tldctl_top.bpf.c) on a fresh tld_data_map, turns on the
// kernel's BPF run-time statistics (BPF_ENABLE_STATS: run_time_ns and run_cnt per program)
// and drives context switches with pipe ping-pong between thread pairs, in three scenarios:
//   baseline  empty programs on the same tracepoints (tldctl_baseline.bpf.c): the cost of the
//             statistics themselves, subtracted from the others as "net"
//   hinted    the ping-pong threads are registered and carry the key top reads
//   unhinted  they have no task local data (top's cost for every other task in the system)
// The programs see every switch on the machine, so the averages include background tasks.
//
// Usage: tldctl_top_overhead [SECONDS per scenario, default 3]
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <unistd.h>
#include <vector>

#include <bpf/bpf.h>
#include <tld/abi.h> // before the skeleton, which names struct tld_btf_anchor
#include <tld/tld.h>

#include "tld_maps.skel.h"
#include "tldctl/top_bpf.h"
#include "tldctl_baseline.skel.h"

using namespace tld::ctl;

namespace {

struct ProgStats {
	uint64_t run_ns = 0, runs = 0;
};

ProgStats prog_stats(const bpf_program *p)
{
	bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
		return {};
	return {info.run_time_ns, info.run_cnt};
}

// Two threads passing a byte back and forth through pipes until @stop: every pass is a
// wakeup of the other thread and a switch away from this one.
void ping_pong(bool hinted, int map_fd, tld_key_t key, std::atomic<bool> &stop,
               std::atomic<uint64_t> &passes)
{
	int ab[2], ba[2];
	if (pipe(ab) || pipe(ba))
		return;
	auto side = [&](int in, int out, bool first, uint32_t cls) {
		if (hinted) {
			auto *v = static_cast<uint32_t *>(tld_get_data(map_fd, key));
			if (!v) {
				fprintf(stderr, "registering: %s\n", strerror(errno));
				exit(1);
			}
			*v = cls;
		}
		char c = 0;
		if (first && write(out, &c, 1) != 1)
			return;
		uint64_t n = 0;
		while (!stop.load(std::memory_order_relaxed)) {
			if (read(in, &c, 1) != 1 || write(out, &c, 1) != 1)
				break;
			n++;
		}
		passes += n;
	};
	std::thread a(side, ba[0], ab[1], true, 0u), b(side, ab[0], ba[1], false, 1u);
	while (!stop)
		usleep(10000);
	// One side may be blocked in read once the other saw stop: closing the write ends
	// makes that read return 0.
	close(ab[1]);
	close(ba[1]);
	a.join();
	b.join();
	close(ab[0]);
	close(ba[0]);
}

// Runs the ping-pong with @progs attached and prints ns per run of each; returns them.
std::vector<double> run(const char *name, bool hinted, int map_fd, tld_key_t key,
                        const std::vector<const bpf_program *> &progs,
                        const std::vector<const char *> &names, double seconds,
                        const std::vector<double> &baseline)
{
	std::vector<tld::ctl::Link> links;
	for (auto *p : progs) {
		links.emplace_back(bpf_program__attach(p));
		if (!links.back()) {
			fprintf(stderr, "attaching %s: %s\n", bpf_program__name(p),
			        strerror(errno));
			exit(1);
		}
	}
	std::vector<ProgStats> before;
	for (auto *p : progs)
		before.push_back(prog_stats(p));
	std::atomic<bool> stop{false};
	std::atomic<uint64_t> passes{0};
	std::vector<std::thread> pairs;
	for (int i = 0; i < 2; i++)
		pairs.emplace_back(ping_pong, hinted, map_fd, key, std::ref(stop),
		                   std::ref(passes));
	usleep(useconds_t(seconds * 1e6));
	stop = true;
	for (auto &t : pairs)
		t.join();
	links.clear();

	std::vector<double> per_run;
	for (size_t i = 0; i < progs.size(); i++) {
		ProgStats now = prog_stats(progs[i]);
		uint64_t runs = now.runs - before[i].runs, ns = now.run_ns - before[i].run_ns;
		double avg = runs ? double(ns) / double(runs) : 0;
		per_run.push_back(avg);
		printf("%-9s %-13s %10lu runs %9.0f /s %7.1f ns/run", name, names[i],
		       (unsigned long)runs, double(runs) / seconds, avg);
		if (i < baseline.size())
			printf(" %7.1f ns net", avg - baseline[i]);
		printf("\n");
	}
	return per_run;
}

} // namespace

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3.0;
	if (seconds <= 0) {
		fprintf(stderr, "usage: %s [SECONDS per scenario]\n", argv[0]);
		return 2;
	}
	// 1. A tld_data_map of our own (the same object tldd pins) and the key top reads.
	tld_maps *maps = tld_maps__open_and_load();
	if (!maps) {
		fprintf(stderr, "loading tld_maps.bpf.o: %s (needs root)\n", strerror(errno));
		return 1;
	}
	int map_fd = bpf_map__fd(maps->maps.tld_data_map);
	tld_key_t key = tld_create_key("class", sizeof(uint32_t));

	// 2. The top programs, the empty baseline programs, and run-time statistics (on while
	//    stats_fd is open).
	auto top = TopConsumer::load(map_fd, TopConfig{"class", 4, 0, false});
	if (!top) {
		fprintf(stderr, "loading the top programs: %s\n", top.error().message().c_str());
		return 1;
	}
	tldctl_baseline *empty = tldctl_baseline__open_and_load();
	if (!empty) {
		fprintf(stderr, "loading tldctl_baseline.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		fprintf(stderr, "BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}

	// 3. The scenarios, one after the other, each with only its own programs attached.
	printf("tldctl top overhead: %.1f s per scenario, %ld CPUs, 2 ping-pong pairs\n", seconds,
	       sysconf(_SC_NPROCESSORS_ONLN));
	auto base = run("baseline", false, map_fd, key,
	                {empty->progs.baseline_switch, empty->progs.baseline_wakeup},
	                {"sched_switch", "sched_wakeup"}, seconds, {});
	auto progs = top->programs();
	progs.pop_back(); // sched_wakeup_new: a handful of runs, nothing to measure
	run("hinted", true, map_fd, key, progs, {"sched_switch", "sched_wakeup"}, seconds, base);
	run("unhinted", false, map_fd, key, progs, {"sched_switch", "sched_wakeup"}, seconds, base);

	close(stats_fd);
	tldctl_baseline__destroy(empty);
	tld_maps__destroy(maps);
	return 0;
}
