#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Runs the BPF read and hint update benchmarks in one go and prints their ratios side by side.

Each benchmark is repeated (--repetitions) with Google Benchmark's random interleaving, so slow
phases of a shared machine spread over all rows instead of landing on one; every number is the
median of the repetitions. Needs root (the benchmarks load BPF programs).

  bench/compare.py [--build build] [--repetitions 7] [--markdown]

--markdown prints the tables as they appear in docs/performance.md.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

READ_ROWS = [
    # (benchmark, label)
    ("floor", "floor: bpf_task_storage_get + u64 read"),
    ("tld", "tld: tld_object_init + tld_get_data (tld_key_map)"),
    ("tld_cache", "tld: tld_object_init_cache + tld_get_data (consumer's task ctx)"),
    ("tld_get", "tld: one more tld_get_data, object already initialised"),
    ("hash", "hash map keyed by tid: lookup + u64 read"),
]
HINT_ROWS = [
    ("tld_store", "tld store (plain store to the registered block)"),
    ("getppid_floor", "getppid() (the cheapest syscall, for reference)"),
    ("prctl_set_name", "prctl(PR_SET_NAME)"),
    ("hash_update", "bpf_map_update_elem, hash map keyed by tid"),
    ("sched_setattr_nice", "sched_setattr (nice 0/1)"),
]
# The syscall-per-hint designs; the target compares the tld store with the cheapest of them.
HINT_SYSCALLS = ["prctl_set_name", "hash_update", "sched_setattr_nice"]


def run(binary, repetitions, min_time):
    cmd = [
        binary,
        "--benchmark_format=json",
        f"--benchmark_repetitions={repetitions}",
        "--benchmark_enable_random_interleaving=true",
        f"--benchmark_min_time={min_time}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{binary} failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout)


def medians(doc, short_name, value):
    """Median of value(run) per benchmark, over the plain (non-aggregate) repetitions."""
    runs = {}
    for b in doc["benchmarks"]:
        if b.get("error_occurred"):
            sys.exit(f"{b['name']}: {b.get('error_message')}")
        if b.get("run_type") != "iteration":
            continue
        runs.setdefault(short_name(b["run_name"]), []).append(value(b))
    return {name: statistics.median(v) for name, v in runs.items()}


def table(headers, rows, markdown):
    if markdown:
        out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"),
                    help="build directory (default: build)")
    ap.add_argument("--repetitions", type=int, default=7)
    ap.add_argument("--min-time", default="0.2", help="seconds per repetition")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    bench_dir = os.path.join(args.build, "bench")
    read_doc = run(os.path.join(bench_dir, "tld_bench_read"), args.repetitions, args.min_time)
    hint_doc = run(os.path.join(bench_dir, "tld_bench_hint"), args.repetitions, args.min_time)

    # read_loop/<variant>/<loops>/manual_time -> <variant>
    read = medians(read_doc, lambda n: n.split("/")[1], lambda b: b["ns_per_read"])
    # CPU time: the syscalls do not block, and it is steadier than wall time on a busy machine.
    hint = medians(hint_doc, lambda n: n.split("/")[0], lambda b: b["cpu_time"])

    ctx = read_doc["context"]
    print(f"# {platform.node()}: kernel {platform.release()}, {ctx.get('num_cpus')} CPUs at "
          f"{ctx.get('mhz_per_cpu')} MHz, load average {os.getloadavg()[0]:.1f}; "
          f"median of {args.repetitions} interleaved repetitions\n")

    loop = read["empty"]
    floor = read["floor"] - loop
    rows = []
    for name, label in READ_ROWS:
        raw = read[name]
        net = raw - loop
        # tld_get is what one more key costs on top of a read, not a read of its own.
        ratio = f"{net / floor:.2f}x" if name != "tld_get" else "-"
        rows.append([label, f"{raw:.1f}", f"{net:.1f}", ratio])
    print("BPF read, ns per read (in-kernel loop of 65536 reads; net = minus the empty loop, "
          f"{loop:.1f} ns)\n")
    print(table(["variant", "ns with loop", "ns net", "vs floor"], rows, args.markdown))

    store = hint["tld_store"]
    rows = [[label, f"{hint[name]:.2f}" if hint[name] < 10 else f"{hint[name]:.0f}",
             "1x" if name == "tld_store" else f"{hint[name] / store:,.0f}x"]
            for name, label in HINT_ROWS]
    print("\nHint update, ns per update (CPU time)\n")
    print(table(["method", "ns", "vs tld store"], rows, args.markdown))

    cheapest = min(HINT_SYSCALLS, key=lambda n: hint[n])
    print("\nTargets")
    print(f"  tld_get_data within 1.3x of the floor: tld_key_map {(read['tld'] - loop) / floor:.2f}x, "
          f"consumer's task ctx {(read['tld_cache'] - loop) / floor:.2f}x")
    print(f"  tld store >= 1000x cheaper than the cheapest hint syscall ({cheapest}): "
          f"{hint[cheapest] / store:,.0f}x")


if __name__ == "__main__":
    main()
