// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd throughput and the cost of registration to a new thread. Starts the real tldd on a
// private bpffs, like the tests, so it needs root.
//
//   BM_Registrations/C/T: C connections x T threads, each thread re-registering itself;
//       items/s is registrations tldd completed per second (waits for the last one).
//   BM_ThreadStart/mode: pthread_create + join of a thread whose start trampoline registers
//       itself the way libtldpreload does: 0 = no registration, 1 = fire-and-forget REGISTER
//       (the design), 2 = REGISTER and wait for tldd (what a request/reply design would cost).
//   BM_RegisterCall: the register_thread() call alone, i.e. the hold-up of a new thread.
#include <benchmark/benchmark.h>
#include <cerrno>
#include <memory>
#include <poll.h>
#include <pthread.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bpffs.h"
#include "harness.h"
#include "wire/broker_client.h"

namespace {

using tld::broker::Client;
using tld::test::Arena;
using tld::test::gettid_now;

struct Daemon {
	tld::test::BpffsMount bpffs;
	tld::test::Tldd tldd{bpffs.path()};
	Arena arena = Arena::create(64);
	bool ok = false;

	Daemon() { ok = bpffs.ok() && tldd.start_ready({"--log-level", "warn"}); }
	static Daemon &get()
	{
		static Daemon d;
		return d;
	}
	std::unique_ptr<Client> client()
	{
		auto c = std::make_unique<Client>();
		c->set_path(tldd.socket_path.c_str());
		c->hello(arena.fd.get());
		return c;
	}
};

// Sends until accepted: a full queue means tldd is behind, which is what we measure.
// Block i of the client's arena is data page 1 + i, at TLD_DATA_START (abi.h).
void register_retry(Client &c, pid_t tid, std::uint32_t block)
{
	while (c.register_thread(tid, 1 + block, TLD_DATA_START, 64) == -EAGAIN) {
		pollfd p{c.event_fd(), POLLOUT, 0};
		poll(&p, 1, 1);
	}
}

void BM_Registrations(benchmark::State &state)
{
	Daemon &d = Daemon::get();
	if (!d.ok) {
		state.SkipWithError("tldd did not start (root and bpffs needed)");
		return;
	}
	const int clients = static_cast<int>(state.range(0));
	const int threads = static_cast<int>(state.range(1));
	constexpr int kEach = 2000;
	std::vector<std::unique_ptr<Client>> conns;
	for (int i = 0; i < clients; i++)
		conns.push_back(d.client());
	for (auto _ : state) {
		std::vector<std::thread> ts;
		for (int c = 0; c < clients; c++)
			for (int t = 0; t < threads; t++)
				ts.emplace_back([&, c, t] {
					pid_t tid = gettid_now();
					auto block =
					        static_cast<std::uint32_t>((c * threads + t) % 63);
					for (int k = 0; k < kEach; k++)
						register_retry(*conns[c], tid, block);
					conns[c]->sync(60000);
				});
		for (auto &t : ts)
			t.join();
	}
	std::uint64_t errors = 0;
	for (auto &c : conns) {
		c->poll_events();
		errors += c->stats().errors;
	}
	state.counters["errors"] = static_cast<double>(errors);
	state.SetItemsProcessed(state.iterations() * clients * threads * kEach);
}
BENCHMARK(BM_Registrations)
        ->Args({1, 1})
        ->Args({1, 8})
        ->Args({4, 4})
        ->Args({16, 2})
        ->Args({50, 1})
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);

struct StartArgs {
	Client *client;
	int mode;
};

void *trampoline(void *p)
{
	auto *a = static_cast<StartArgs *>(p);
	if (a->mode >= 1) {
		register_retry(*a->client, gettid_now(), 0);
		if (a->mode == 2)
			a->client->sync(60000);
	}
	return nullptr; // the user's start routine would run here
}

void BM_ThreadStart(benchmark::State &state)
{
	Daemon &d = Daemon::get();
	if (!d.ok) {
		state.SkipWithError("tldd did not start");
		return;
	}
	auto client = d.client();
	StartArgs args{client.get(), static_cast<int>(state.range(0))};
	for (auto _ : state) {
		pthread_t th;
		pthread_create(&th, nullptr, trampoline, &args);
		pthread_join(th, nullptr);
	}
	client->poll_events();
	// Threads gone before tldd got to their REGISTER are expected here (-ESRCH).
	state.counters["gone"] = static_cast<double>(client->stats().gone);
}
BENCHMARK(BM_ThreadStart)->Arg(0)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_RegisterCall(benchmark::State &state)
{
	Daemon &d = Daemon::get();
	if (!d.ok) {
		state.SkipWithError("tldd did not start");
		return;
	}
	auto client = d.client();
	pid_t tid = gettid_now();
	std::uint64_t n = 0;
	for (auto _ : state) {
		benchmark::DoNotOptimize(client->register_thread(tid, 1, TLD_DATA_START, 64));
		// Keep the queue from filling, outside the measured call.
		if (++n % 64 == 0) {
			state.PauseTiming();
			client->sync(60000);
			state.ResumeTiming();
		}
	}
	client->sync(60000);
}
BENCHMARK(BM_RegisterCall)->Unit(benchmark::kNanosecond);

} // namespace

BENCHMARK_MAIN();
