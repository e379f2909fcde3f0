// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What it costs a thread to publish a hint: a tld store (a plain store to memory BPF reads)
// against the syscall-per-hint designs: bpf_map_update_elem() on a hash map keyed by tid,
// prctl(PR_SET_NAME) and sched_setattr(). getppid() is there as the cheapest syscall's floor.
#include <benchmark/benchmark.h>

#include <bpf/bpf.h>
#include <tld/tld.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <linux/sched.h>
#include <string>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <tld/abi.h> // before the skeleton, which names its structs

#include "tld_maps.skel.h"

namespace {

// The kernel's struct sched_attr (glibc 2.36 has no wrapper).
struct SchedAttr {
	std::uint32_t size;
	std::uint32_t sched_policy;
	std::uint64_t sched_flags;
	std::int32_t sched_nice;
	std::uint32_t sched_priority;
	std::uint64_t sched_runtime, sched_deadline, sched_period;
	std::uint32_t sched_util_min, sched_util_max;
};

// The hint's tld slot for the benchmark thread, set up once: Google Benchmark calls a
// benchmark function several times, and a key can be created only once per process.
volatile std::uint64_t *tld_slot(std::string *error)
{
	static std::string setup_error;
	static volatile std::uint64_t *slot = []() -> volatile std::uint64_t *
	{
		tld_maps *maps = tld_maps__open_and_load(); // kept: the registration lives in it
		if (!maps) {
			setup_error =
			        std::string("tld_maps__open_and_load: ") + std::strerror(errno);
			return nullptr;
		}
		tld_key_t key = tld_create_key("hint", sizeof(std::uint64_t));
		void *p = tld_get_data(bpf_map__fd(maps->maps.tld_data_map), key);
		if (!p)
			setup_error = std::string("tld_get_data: ") + std::strerror(errno);
		return static_cast<volatile std::uint64_t *>(p);
	}
	();
	*error = setup_error;
	return slot;
}

void tld_store(benchmark::State &state)
{
	std::string error;
	volatile std::uint64_t *p = tld_slot(&error);
	if (!p) {
		state.SkipWithError(error.c_str());
		return;
	}
	std::uint64_t v = 0;
	for (auto _ : state)
		*p = ++v;
}

void hash_update(benchmark::State &state)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "tid_hints", sizeof(std::uint32_t),
	                        sizeof(std::uint64_t), 65536, nullptr);
	if (fd < 0) {
		state.SkipWithError("bpf_map_create failed");
		return;
	}
	std::uint32_t tid = static_cast<std::uint32_t>(gettid());
	std::uint64_t v = 0;
	for (auto _ : state) {
		++v;
		if (bpf_map_update_elem(fd, &tid, &v, BPF_ANY)) {
			state.SkipWithError("bpf_map_update_elem failed");
			break;
		}
	}
	close(fd);
}

void prctl_set_name(benchmark::State &state)
{
	char old[16] = {};
	prctl(PR_GET_NAME, old);
	unsigned i = 0;
	for (auto _ : state)
		prctl(PR_SET_NAME, (++i & 1) ? "hint-1" : "hint-0");
	prctl(PR_SET_NAME, old);
}

void sched_setattr_nice(benchmark::State &state)
{
	SchedAttr attr = {};
	attr.size = sizeof(attr);
	attr.sched_policy = SCHED_NORMAL;
	unsigned i = 0;
	for (auto _ : state) {
		attr.sched_nice = static_cast<std::int32_t>(++i & 1);
		if (syscall(SYS_sched_setattr, 0, &attr, 0)) {
			state.SkipWithError(std::strerror(errno));
			break;
		}
	}
	attr.sched_nice = 0;
	syscall(SYS_sched_setattr, 0, &attr, 0);
}

void getppid_floor(benchmark::State &state)
{
	for (auto _ : state)
		benchmark::DoNotOptimize(syscall(SYS_getppid));
}

} // namespace

BENCHMARK(tld_store);
BENCHMARK(hash_update);
BENCHMARK(prctl_set_name);
BENCHMARK(sched_setattr_nice);
BENCHMARK(getppid_floor);

BENCHMARK_MAIN();
