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
import contextlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

READ_ROWS = [
    # (benchmark, label)
    ("floor", "floor: bpf_task_storage_get + u64 read"),
    ("tld", "tld: tld_object_init + tld_get_data (tld_key_map)"),
    ("tld_cache", "tld: tld_object_init_cache + tld_get_data (consumer's task ctx)"),
    ("tld_get", "tld: one more tld_get_data, object already initialised"),
    ("hash", "hash map keyed by tid: lookup + u64 read"),
    ("upstream", "upstream's task_local_data.bpf.h protocol (its own key map)"),
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


PRELOAD_CONFIG = """[options]
registration = {mode}
socket = {socket}
pin_root = {pin_root}

[key.prio]
type = u32
default = 1

[key.latency_critical]
type = bool

[key.deadline_ns]
type = u64
"""

# A rule by thread name makes every new thread read its name (one prctl more).
BY_NAME_RULE = """
[rule.workers]
thread = bench*
set = prio = 5
"""


@contextlib.contextmanager
def tldd_running(build):
    """A real tldd with its pins in a private bpffs and its socket in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="tld-bench-") as tmp:
        bpffs = os.path.join(tmp, "bpffs")
        os.mkdir(bpffs)
        subprocess.run(["mount", "-t", "bpf", "bpf", bpffs], check=True)
        pin_root, sock = os.path.join(bpffs, "tld"), os.path.join(tmp, "tldd.sock")
        tldd = subprocess.Popen([os.path.join(build, "loader", "tldd", "tldd"), "--pin-root", pin_root,
                                 "--socket", sock, "--socket-mode", "0666"],
                                stderr=subprocess.DEVNULL)
        try:
            for _ in range(500):
                if os.path.exists(sock):
                    break
                time.sleep(0.01)
            else:
                sys.exit("tldd did not come up")
            yield tmp, pin_root, sock
        finally:
            tldd.terminate()
            tldd.wait()
            subprocess.run(["umount", "-l", bpffs])


def thread_create(build, repetitions, min_time):
    """pthread_create + join without the preload, with it (direct) and with it (through tldd),
    interleaved round by round in one run. Returns {variant: median ns} for the two benchmarks."""
    binary = os.path.join(build, "bench", "tld_bench_thread_create")
    preload = os.path.join(build, "preload", "libtldpreload.so")
    results = {}
    with tldd_running(build) as (tmp, pin_root, sock):
        envs = {"none": {}}
        for variant, mode, rule in (("direct", "direct", BY_NAME_RULE),
                                    ("broker", "broker", BY_NAME_RULE),
                                    ("broker-no-name-rule", "broker", "")):
            conf = os.path.join(tmp, f"{variant}.conf")
            with open(conf, "w") as f:
                f.write(PRELOAD_CONFIG.format(mode=mode, socket=sock, pin_root=pin_root) + rule)
            envs[variant] = {"LD_PRELOAD": preload, "TLD_CONFIG": conf}
        for _ in range(repetitions):
            order = list(envs)
            random.shuffle(order)
            for variant in order:
                env = dict(os.environ, **envs[variant])
                proc = subprocess.run([binary, "--benchmark_format=json",
                                       f"--benchmark_min_time={min_time}"],
                                      capture_output=True, text=True, env=env)
                if proc.returncode != 0 or proc.stderr.strip():
                    sys.exit(f"{variant}: {binary} failed or the preload spoke:\n{proc.stderr}")
                for b in json.loads(proc.stdout)["benchmarks"]:
                    results.setdefault((variant, b["name"]), []).append(b["real_time"])
    return {k: statistics.median(v) for k, v in results.items()}


def memory(build):
    proc = subprocess.run([os.path.join(build, "bench", "tld_memory_per_thread")],
                          capture_output=True, text=True, check=True)
    return [json.loads(line) for line in proc.stdout.splitlines()]


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
    ap.add_argument("--only", choices=["threads"],
                    help="run only this comparison (threads: thread creation under the preload)")
    args = ap.parse_args()
    if args.only == "threads":
        thread_table(args)
        return

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

    thread_table(args)

    mem = memory(args.build)
    rows = [[str(m["keys"]), str(m["block_bytes"]), f"{m['user_bytes_per_thread']:.0f}",
             f"{m['pinned_bytes_per_thread']:.0f}"] for m in mem]
    print(f"\nMemory per registered thread ({mem[0]['threads']} threads, u64 keys)\n")
    print(table(["keys", "block bytes", "user bytes/thread", "pinned bytes/thread"], rows,
                args.markdown))


def thread_table(args):
    create = thread_create(args.build, args.repetitions, args.min_time)
    rows = []
    for bench, label in (("BM_CreateJoin/real_time", "pthread_create + join, empty thread"),
                         ("BM_CreateOnly/real_time", "pthread_create alone (the caller's wait)")):
        base = create[("none", bench)]
        rows.append([label, f"{base:.0f}"] +
                    [f"{create[(v, bench)]:.0f} ({create[(v, bench)] / base:.2f}x)"
                     for v in ("direct", "broker", "broker-no-name-rule")])
    print("\nThread creation under libtldpreload.so, ns (wall time; median of "
          f"{args.repetitions} interleaved runs)\n")
    print(table(["benchmark", "no preload", "preload, direct", "preload, through tldd",
                 "through tldd, no rule by thread name"], rows, args.markdown))
    base = create[("none", "BM_CreateJoin/real_time")]
    floor = create[("none", "BM_CreateJoinOwnPidfd/real_time")]
    print(f"\nKernel floor of registering synchronously (no preload): a thread that only opens "
          f"and closes its own pidfd takes {floor:.0f} ns, {floor / base:.2f}x an empty one")
    print("Target: pthread_create + join within 1.10x: "
          f"direct {create[('direct', 'BM_CreateJoin/real_time')] / base:.2f}x, "
          f"through tldd {create[('broker', 'BM_CreateJoin/real_time')] / base:.2f}x, "
          f"without a rule by name {create[('broker-no-name-rule', 'BM_CreateJoin/real_time')] / base:.2f}x")


if __name__ == "__main__":
    main()
