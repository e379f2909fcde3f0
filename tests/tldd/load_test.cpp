// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Load: 50 client processes x 20 threads register, check and exit in a loop for
// TLD_LOAD_SECONDS (default 30). Every registration must become visible to BPF in its own
// thread (none lost), every UNREGISTER must make it disappear (none leaked), and tldd's fd
// count and memory must return to their baseline once the clients are gone.
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <gtest/gtest.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bpffs.h"
#include "client_proc.h"
#include "eventually.h"
#include "harness.h"
#include "wire/broker_client.h"

namespace tld::test {
namespace {

constexpr int kClients = 50;
constexpr int kThreads = 20;

struct Tally {
	std::uint64_t rounds, ok, lost, leaked, errors, gone, send_failed;
};

double seconds_now()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int load_client(int fd, const std::string &socket, const Probe &probe, int id, double until)
{
	Arena arena = Arena::create(1 + kThreads); // a page a thread
	static broker::Client client;
	client.set_path(socket.c_str());
	if (client.hello(arena.fd.get()) != 0)
		return 30;
	std::atomic<std::uint64_t> ok{0}, lost{0}, leaked{0};
	std::uint64_t rounds = 0;
	while (seconds_now() < until) {
		std::vector<std::thread> threads;
		for (int slot = 0; slot < kThreads; slot++)
			threads.emplace_back([&, slot] {
				std::uint32_t page = 1u + static_cast<std::uint32_t>(slot);
				std::uint64_t value =
				        (std::uint64_t(id) << 40) | (rounds << 8) | slot;
				*arena.slot(page, TLD_DATA_START) = value;
				pid_t tid = gettid_now();
				int err;
				while ((err = client.register_thread(tid, page, TLD_DATA_START,
				                                     64)) == -EAGAIN)
					usleep(200);
				if (err || client.sync(20000) != 0) {
					lost++;
					return;
				}
				ProbeResult r = probe.read_self();
				(r.found == 1 && r.value == value ? ok : lost)++;
				// Half the threads unregister first, the rest just exit.
				if (slot % 2 == 0) {
					if (client.unregister_thread(tid, 20000) != 0 ||
					    probe.read_self().found != 0)
						leaked++;
				}
			});
		for (auto &t : threads)
			t.join();
		rounds++;
	}
	client.poll_events();
	broker::ClientStats s = client.stats();
	Tally t{rounds, ok.load(), lost.load(), leaked.load(), s.errors, s.gone, s.send_failed};
	send_obj(fd, &t, sizeof(t));
	return 0;
}

// The heap tldd reports when its last client leaves ("no clients: heap in use N bytes"): the
// latest such line once there are at least `nth` and no new one came for 250 ms, so that tldd
// has trimmed its heap after the last client (it logs right after malloc_trim()); -1 if none.
long idle_heap(const Tldd &tldd, int nth)
{
	int last_seen = -1, stable = 0;
	for (int wait = 0; wait < 400; wait++) {
		std::string log = tldd.log();
		const std::string tag = "no clients: heap in use ";
		long value = -1;
		int seen = 0;
		for (std::size_t pos = 0; (pos = log.find(tag, pos)) != std::string::npos; pos++) {
			value = atol(log.c_str() + pos + tag.size());
			seen++;
		}
		stable = seen == last_seen ? stable + 1 : 0;
		last_seen = seen;
		if (seen >= nth && stable >= 5)
			return value;
		usleep(50000);
	}
	return -1;
}

TEST(Load, FiftyClientsTwentyThreadsChurn)
{
	const char *env = getenv("TLD_LOAD_SECONDS");
	double seconds = env ? atof(env) : 30.0;
	BpffsMount bpffs;
	ASSERT_TRUE(bpffs.ok());
	Tldd tldd{bpffs.path()};
	std::string why;
	// info, not debug: a million log lines would measure the logger.
	ASSERT_TRUE(tldd.start_ready({"--log-level", "info"}, &why)) << why;
	Probe probe;
	ASSERT_EQ(probe.load(tldd.pin_root + "/tld_data_map"), "");

	// Baseline after one client came and went, so lazily allocated state is counted.
	{
		ClientProc warm = ClientProc::spawn(tldd.socket_path, false);
		ClientReply rep;
		ASSERT_TRUE(warm.start_threads(4, 1, &rep));
		ASSERT_EQ(rep.err, 0);
		warm.quit();
	}
	long base_heap = idle_heap(tldd, 1);
	int base_fds = tldd.fd_count();
	long base_rss = tldd.rss_kb();

	double start = seconds_now();
	double until = start + seconds;
	std::vector<Child> clients;
	for (int i = 0; i < kClients; i++)
		clients.push_back(Child::spawn([&, i](int fd) {
			return load_client(fd, tldd.socket_path, probe, i, until);
		}));
	Tally sum{};
	for (auto &c : clients) {
		Tally t{};
		ASSERT_TRUE(
		        recv_obj(c.fd(), &t, sizeof(t), static_cast<int>(seconds * 1000) + 120000))
		        << "a client died: " << c.wait();
		EXPECT_EQ(c.wait(), 0);
		sum.rounds += t.rounds;
		sum.ok += t.ok;
		sum.lost += t.lost;
		sum.leaked += t.leaked;
		sum.errors += t.errors;
		sum.gone += t.gone;
		sum.send_failed += t.send_failed;
	}
	double elapsed = seconds_now() - start;
	printf("load: %llu registrations verified in %.1f s (%.0f/s), %llu rounds\n",
	       static_cast<unsigned long long>(sum.ok), elapsed, sum.ok / elapsed,
	       static_cast<unsigned long long>(sum.rounds));
	EXPECT_GT(sum.ok, static_cast<std::uint64_t>(kClients * kThreads));
	EXPECT_EQ(sum.lost, 0u);
	EXPECT_EQ(sum.leaked, 0u);
	EXPECT_EQ(sum.errors, 0u);
	EXPECT_EQ(sum.send_failed, 0u);

	// Every session closed: the fd count returns exactly, memory to within slack for the
	// allocator's own bookkeeping.
	int fds = eventually_value([&] { return tldd.fd_count(); },
	                           [&](int n) { return n == base_fds; });
	EXPECT_EQ(fds, base_fds);
	// The last session's socket closes just before tldd trims its heap: RSS only after that.
	long heap = idle_heap(tldd, 2);
	long rss = tldd.rss_kb();
	printf("load: tldd fds %d -> %d, rss %ld kB -> %ld kB, idle heap %ld -> %ld bytes\n",
	       base_fds, fds, base_rss, rss, base_heap, heap);
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TLD_SANITIZER_HEAP 1
#endif
#endif
#ifndef TLD_SANITIZER_HEAP
	// The heap in use is exact; RSS also carries the allocator's retained pages.
	EXPECT_GE(base_heap, 0);
	EXPECT_LE(heap, base_heap + 64 * 1024) << "tldd's heap grew: a leak per client or thread";
	EXPECT_LE(rss, base_rss + 2048) << "tldd kept memory after its clients left";
#else
	// The sanitizers' allocators keep freed memory in quarantine by design: only the fd
	// count is meaningful in these builds (tldd is built with the same sanitizer).
	printf("load: sanitizer build, RSS not compared\n");
#endif
	EXPECT_EQ(tldd.log().find(") rejected: "), std::string::npos) << tldd.log().substr(0, 4000);
}

} // namespace
} // namespace tld::test
