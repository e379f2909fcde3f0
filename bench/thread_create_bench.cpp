// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// pthread_create + join of an empty thread. Knows nothing of tld: compare.py runs it without
// the preload, with it on the direct path and with it through tldd, interleaved in one run.
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

namespace {

void *empty(void *arg)
{
	return arg;
}

// Creates and joins threads running `body`, one at a time.
void create_join(benchmark::State &state, void *(*body)(void *))
{
	for (auto _ : state) {
		pthread_t t;
		if (pthread_create(&t, nullptr, body, nullptr) != 0) {
			state.SkipWithError("pthread_create failed");
			break;
		}
		pthread_join(t, nullptr);
	}
}

void BM_CreateJoin(benchmark::State &state)
{
	create_join(state, empty);
}
BENCHMARK(BM_CreateJoin)->UseRealTime();

// The kernel's floor for any thread that registers itself synchronously (the direct path): a
// task-storage update needs a pidfd of the thread, and a thread's first pidfd costs a pidfs
// inode and dentry. This thread opens and closes one and does nothing else.
void *own_pidfd(void *arg)
{
	long fd = syscall(SYS_pidfd_open, syscall(SYS_gettid), PIDFD_THREAD);
	if (fd >= 0)
		close(static_cast<int>(fd));
	return arg;
}

void BM_CreateJoinOwnPidfd(benchmark::State &state)
{
	create_join(state, own_pidfd);
}
BENCHMARK(BM_CreateJoinOwnPidfd)->UseRealTime();

// The creating thread's share alone: how long pthread_create() holds its caller up.
void BM_CreateOnly(benchmark::State &state)
{
	pthread_t threads[64];
	int n = 0;
	for (auto _ : state) {
		if (pthread_create(&threads[n++], nullptr, empty, nullptr) != 0) {
			state.SkipWithError("pthread_create failed");
			break;
		}
		if (n == 64) {
			state.PauseTiming();
			for (int i = 0; i < n; i++)
				pthread_join(threads[i], nullptr);
			n = 0;
			state.ResumeTiming();
		}
	}
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], nullptr);
}
BENCHMARK(BM_CreateOnly)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
