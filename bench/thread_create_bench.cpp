// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// pthread_create + join of an empty thread. Knows nothing of tld: compare.py runs it without
// the preload, with it on the direct path and with it through tldd, interleaved in one run.
#include <benchmark/benchmark.h>

#include <pthread.h>

namespace {

void *empty(void *arg)
{
	return arg;
}

void BM_CreateJoin(benchmark::State &state)
{
	for (auto _ : state) {
		pthread_t t;
		if (pthread_create(&t, nullptr, empty, nullptr) != 0) {
			state.SkipWithError("pthread_create failed");
			break;
		}
		pthread_join(t, nullptr);
	}
}
BENCHMARK(BM_CreateJoin)->UseRealTime();

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
