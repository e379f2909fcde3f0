// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// BPF read cost of a hint: tld.bpf.h (cached) against the raw task storage floor and a hash
// map keyed by tid. The programs time their own loop in the kernel (bench_read.bpf.c); the
// reported counter ns_per_read includes the loop, which compare.py subtracts (the empty row).
#include <benchmark/benchmark.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tld/tld.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <unistd.h>

#include "bench_read.h"
#include "bench_read.skel.h"

namespace {

constexpr std::uint64_t kHint = 42;
// Other tids in the hash map, so its lookups walk a table of realistic size.
constexpr std::uint32_t kOtherTids = 4096;

// Loads the programs once and registers the benchmark thread (the main thread) through libtld.
struct Setup {
	bench_read *skel = nullptr;
	std::uint32_t key_off = 0;
	std::string error;

	Setup()
	{
		skel = bench_read__open_and_load();
		if (!skel) {
			error = std::string("bench_read__open_and_load: ") + std::strerror(errno);
			return;
		}
		tld_key_t key = tld_create_key("hint", sizeof(std::uint64_t));
		if (tld_key_is_err(key)) {
			error = std::string("tld_create_key: ") + std::strerror(-key.off);
			return;
		}
		auto *p = static_cast<std::uint64_t *>(
		        tld_get_data(bpf_map__fd(skel->maps.tld_data_map), key));
		if (!p) {
			error = std::string("tld_get_data: ") + std::strerror(errno);
			return;
		}
		*p = kHint;
		key_off = static_cast<std::uint32_t>(key.off);

		int hash_fd = bpf_map__fd(skel->maps.tid_hints);
		for (std::uint32_t tid = 1u << 30; tid < (1u << 30) + kOtherTids; tid++)
			bpf_map_update_elem(hash_fd, &tid, &kHint, BPF_ANY);
		std::uint32_t self = static_cast<std::uint32_t>(gettid());
		if (bpf_map_update_elem(hash_fd, &self, &kHint, BPF_ANY))
			error = std::string("hash update: ") + std::strerror(errno);
	}
	~Setup() { bench_read__destroy(skel); }
};

Setup &setup()
{
	static Setup s;
	return s;
}

void read_loop(benchmark::State &state, const char *prog_name, bool reads)
{
	Setup &s = setup();
	if (!s.error.empty()) {
		state.SkipWithError(s.error.c_str());
		return;
	}
	bpf_program *prog = bpf_object__find_program_by_name(s.skel->obj, prog_name);
	const auto loops = static_cast<std::uint32_t>(state.range(0));
	std::uint64_t total_ns = 0, total_reads = 0;

	for (auto _ : state) {
		bench_read_ctx ctx = {};
		ctx.loops = loops;
		ctx.key_off = s.key_off;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
		int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
		if (err || opts.retval != 0 || (reads && ctx.hits != loops) ||
		    (reads && ctx.sum != kHint * loops)) {
			state.SkipWithError("program failed or read a wrong value");
			break;
		}
		state.SetIterationTime(static_cast<double>(ctx.ns) * 1e-9);
		total_ns += ctx.ns;
		total_reads += loops;
	}
	if (total_reads)
		state.counters["ns_per_read"] =
		        static_cast<double>(total_ns) / static_cast<double>(total_reads);
}

constexpr int kLoops = 1 << 16;

} // namespace

BENCHMARK_CAPTURE(read_loop, empty, "bench_empty", false)->Arg(kLoops)->UseManualTime();
BENCHMARK_CAPTURE(read_loop, floor, "bench_floor", true)->Arg(kLoops)->UseManualTime();
BENCHMARK_CAPTURE(read_loop, tld, "bench_tld", true)->Arg(kLoops)->UseManualTime();
BENCHMARK_CAPTURE(read_loop, tld_cache, "bench_tld_cache", true)->Arg(kLoops)->UseManualTime();
BENCHMARK_CAPTURE(read_loop, tld_get, "bench_tld_get", true)->Arg(kLoops)->UseManualTime();
BENCHMARK_CAPTURE(read_loop, hash, "bench_hash", true)->Arg(kLoops)->UseManualTime();
BENCHMARK_CAPTURE(read_loop, upstream, "bench_upstream", true)->Arg(kLoops)->UseManualTime();

BENCHMARK_MAIN();
