#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Exec and process start cost of libtldpreload.so: four exec-heavy workloads, each run with and
without the preload (and with TLD_DISABLE=1, and with keys.conf's `start = on_first_thread`),
interleaved in one run with tldd up, printed as ratios. Needs root (tldd pins its maps in a private bpffs mount). Installs autoconf and automake
if missing (only this benchmark needs them).

  bench/exec_compare.py [--build build] [--repetitions 5] [--markdown] [--compare NAME=SO ...]

--compare adds another build of the preload (an older libtldpreload.so, say) to the same
interleaved run, so that a change is measured side by side with what it replaces.

Each number is the median over the repetitions of the CPU time (user + system) of the whole
process tree, which a loaded machine disturbs less than wall time; wall time is printed too.

Then where the time of one exec goes: loading the library (TLD_DISABLE=1 against plain), the
constructor's phases (TLD_DEBUG=1 prints them: "tld: start-up us: checks 10, config 70, ..."),
and the forking program's side of fork + exec (python3 under the preload starting children
that run without it: the fork handler in the child and the exec wrapper).
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFIGURE_AC = """AC_INIT([tiny], [1.0])
AM_INIT_AUTOMAKE([foreign])
AC_PROG_CC
AC_CHECK_HEADERS([pthread.h stdio.h stdlib.h string.h unistd.h sys/types.h])
AC_CHECK_FUNCS([pthread_create memcpy strdup clock_gettime])
AC_SEARCH_LIBS([pthread_create], [pthread])
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
"""


def bash_script(path):
    """500 commands, the mix of a typical shell script: builtins and short external programs."""
    cmds = ["/bin/true", "echo x >/dev/null", "date +%s >/dev/null", "test -d / && :",
            "expr 1 + 1 >/dev/null", "basename /a/b >/dev/null", "x=$((x + 1))",
            "cat /dev/null", "uname -r >/dev/null", "[ -n \"$x\" ]"]
    with open(path, "w") as f:
        f.write("x=0\n")
        for i in range(500):
            f.write(cmds[i % len(cmds)] + "\n")


def c_project(path, files=24):
    os.makedirs(path)
    objs = []
    for i in range(files):
        with open(f"{path}/f{i}.c", "w") as f:
            f.write(f"#include <stdio.h>\nint f{i}(int x) {{ return x * {i} + printf(\"\"); }}\n")
        objs.append(f"f{i}.o")
    with open(f"{path}/main.c", "w") as f:
        f.write("int main(void) { return 0; }\n")
    with open(f"{path}/Makefile", "w") as f:
        f.write(f"prog: main.o {' '.join(objs)}\n\t$(CC) -o $@ $^\n"
                "%.o: %.c\n\t$(CC) -O1 -c -o $@ $<\n"
                "clean:\n\trm -f *.o prog\n")


def autoconf_project(path):
    for tool, pkg in (("autoreconf", "autoconf"), ("automake", "automake")):
        if not shutil.which(tool):
            subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", pkg],
                           check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    os.makedirs(path)
    with open(f"{path}/configure.ac", "w") as f:
        f.write(CONFIGURE_AC)
    with open(f"{path}/Makefile.am", "w") as f:
        f.write("bin_PROGRAMS = tiny\ntiny_SOURCES = tiny.c\n")
    with open(f"{path}/tiny.c", "w") as f:
        f.write("int main(void) { return 0; }\n")
    subprocess.run(["autoreconf", "-i"], cwd=path, check=True, capture_output=True)


def timed(argv, env, cwd, prepare=None):
    """Runs argv to completion; returns (cpu seconds of the tree, wall seconds)."""
    if prepare:
        subprocess.run(prepare, cwd=cwd, env=env, check=True, capture_output=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


# fork() (python's subprocess would vfork, which runs no fork handler), then execve of a plain
# child: what the preload costs a shell or make for each command it starts.
FORK_EXEC = ("import os\n"
             "for _ in range(500):\n"
             "    pid = os.fork()\n"
             "    if pid == 0:\n"
             "        os.execve('/bin/true', ['/bin/true'], {'PATH': '/usr/bin:/bin'})\n"
             "    os.waitpid(pid, 0)\n")


def phases(env, runs):
    """Median microseconds of each constructor phase over `runs` runs of /bin/true."""
    seen = {}
    for _ in range(runs):
        err = subprocess.run(["/bin/true"], env={**env, "TLD_DEBUG": "1"},
                             capture_output=True, text=True).stderr
        m = re.search(r"tld: start-up us: (.*)", err)
        if not m:
            raise SystemExit(f"no start-up line from the preload:\n{err}")
        for part in m.group(1).split(", "):
            name, us = part.rsplit(" ", 1)
            seen.setdefault(name, []).append(int(us))
    return {name: statistics.median(v) for name, v in seen.items()}


class Tldd:
    def __init__(self, build, tmp):
        self.pins = f"{tmp}/bpffs"
        self.sock = f"{tmp}/tldd.sock"
        os.makedirs(self.pins)
        subprocess.run(["mount", "-t", "bpf", "bpf", self.pins], check=True)
        self.proc = subprocess.Popen([f"{build}/loader/tldd/tldd", "--pin-root", self.pins,
                                      "--socket", self.sock], stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(self.sock):
                return
            time.sleep(0.05)
        raise SystemExit("tldd did not create its socket")

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        subprocess.run(["umount", self.pins], check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--compare", action="append", default=[], metavar="NAME=SO",
                    help="another libtldpreload.so, measured in the same run")
    args = ap.parse_args()
    others = dict(c.split("=", 1) for c in args.compare)
    for name, so in others.items():
        if not os.path.exists(so):
            raise SystemExit(f"{so}: no such library ({name})")
    build = os.path.abspath(args.build)
    preload = f"{build}/preload/libtldpreload.so"
    if not os.path.exists(preload):
        raise SystemExit(f"{preload}: build first")

    with tempfile.TemporaryDirectory(prefix="tld-exec-bench-") as tmp:
        tldd = Tldd(build, tmp)
        try:
            config, lazy_config = f"{tmp}/keys.conf", f"{tmp}/lazy.conf"
            for path, start in ((config, "at_exec"), (lazy_config, "on_first_thread")):
                with open(path, "w") as f, open(f"{ROOT}/tests/preload/test.conf") as keys:
                    f.write(f"[options]\nregistration = broker\npin_root = {tldd.pins}\n"
                            f"socket = {tldd.sock}\nstart = {start}\n\n" + keys.read())
            bash_script(f"{tmp}/script.sh")
            c_project(f"{tmp}/cproj")
            autoconf_project(f"{tmp}/acproj")
            base = {"PATH": "/usr/bin:/bin", "HOME": tmp, "LC_ALL": "C"}
            # The floor of any LD_PRELOAD: a library with one empty function.
            with open(f"{tmp}/empty.c", "w") as f:
                f.write("int tld_bench_empty(void) { return 0; }\n")
            subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", f"{tmp}/libempty.so",
                            f"{tmp}/empty.c"], check=True)
            envs = {
                "plain": base,
                "preload": {**base, "LD_PRELOAD": preload, "TLD_CONFIG": config},
                "lazy": {**base, "LD_PRELOAD": preload, "TLD_CONFIG": lazy_config},
                "disabled": {**base, "LD_PRELOAD": preload, "TLD_CONFIG": config,
                             "TLD_DISABLE": "1"},
                "empty": {**base, "LD_PRELOAD": f"{tmp}/libempty.so"},
            }
            for name, so in others.items():
                envs[name] = {**base, "LD_PRELOAD": os.path.abspath(so), "TLD_CONFIG": config}
            work = [
                ("/bin/true x 1,000 (bash loop)",
                 ["bash", "-c", "for ((i = 0; i < 1000; i++)); do /bin/true; done"], tmp, None),
                ("bash script, 500 commands", ["bash", f"{tmp}/script.sh"], tmp, None),
                ("./configure (autoconf, small project)", ["./configure", "-q"],
                 f"{tmp}/acproj", None),
                ("make -j2 (25 C files)", ["make", "-s", "-j2"], f"{tmp}/cproj",
                 ["make", "-s", "clean"]),
                ("fork + exec x 500 from python3 (children plain)",
                 ["python3", "-c", FORK_EXEC], tmp, None),
            ]
            results = {}
            for _ in range(args.repetitions):
                for name, argv, cwd, prep in work:
                    for mode, env in envs.items():  # interleaved: load spreads over all
                        results.setdefault((name, mode), []).append(timed(argv, env, cwd, prep))
            start_up = phases(envs["preload"], 100 * args.repetitions)
            start_up_of = {n: phases(envs[n], 100 * args.repetitions)
                           for n in ("lazy", *others)}
        finally:
            tldd.close()

    def med(name, mode, i):
        return statistics.median(r[i] for r in results[(name, mode)])

    if args.markdown:
        extra = "".join(f" {n} |" for n in others)
        print(f"| workload | without | preload | ratio | on_first_thread | TLD_DISABLE=1 | "
              f"empty .so | wall ratio |{extra}")
        print("|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(others))
    for name, *_ in work:
        plain, pre, lazy, dis, empty = (med(name, m, 0) for m in
                                        ("plain", "preload", "lazy", "disabled", "empty"))
        wall = med(name, "preload", 1) / med(name, "plain", 1)
        ratios = {n: med(name, n, 0) / plain for n in others}
        if args.markdown:
            extra = "".join(f" {r:.2f}x |" for r in ratios.values())
            print(f"| {name} | {plain:.3f} s | {pre:.3f} s | {pre / plain:.2f}x | "
                  f"{lazy / plain:.2f}x | {dis / plain:.2f}x | {empty / plain:.2f}x | "
                  f"{wall:.2f}x |{extra}")
        else:
            extra = "".join(f", {n} {r:.2f}x" for n, r in ratios.items())
            print(f"{name:40} cpu {plain:.3f}s -> {pre:.3f}s  {pre / plain:.2f}x  "
                  f"(on_first_thread {lazy / plain:.2f}x, disabled {dis / plain:.2f}x, "
                  f"empty .so {empty / plain:.2f}x, wall {wall:.2f}x{extra})")

    # Per exec, from the /bin/true loop (1,000 execs) and the fork + exec loop (500).
    true_name, fork_name = work[0][0], work[4][0]
    per_exec = {
        "whole exec under the preload": (med(true_name, "preload", 0) -
                                         med(true_name, "plain", 0)) / 1000,
        "loading the library (TLD_DISABLE=1)": (med(true_name, "disabled", 0) -
                                                med(true_name, "plain", 0)) / 1000,
        "loading any library (an empty .so)": (med(true_name, "empty", 0) -
                                               med(true_name, "plain", 0)) / 1000,
        "fork handler in the child + exec wrapper": (med(fork_name, "preload", 0) -
                                                 med(fork_name, "plain", 0)) / 500,
    }
    def breakdown(mode, start):
        per = {
            "whole exec under the preload": (med(true_name, mode, 0) -
                                             med(true_name, "plain", 0)) / 1000,
            "fork handler in the child + exec wrapper": (med(fork_name, mode, 0) -
                                                     med(fork_name, "plain", 0)) / 500,
        }
        return {**{k: v * 1e6 for k, v in per.items()},
                **{f"constructor: {k}": v for k, v in start.items()}}

    rows = [(k, v * 1e6) for k, v in per_exec.items()]
    rows += [(f"constructor: {k}", v) for k, v in start_up.items()]
    theirs = {n: breakdown(n, start_up_of[n]) for n in ("lazy", *others)}
    if args.markdown:
        extra = "".join(f" {'on_first_thread' if n == 'lazy' else n} |" for n in theirs)
        print(f"\n| where the time of one exec goes | us |{extra}\n|---|---:|" +
              "---:|" * len(theirs))
        for k, v in rows:
            cells = "".join(f" {t[k]:.0f} |" if k in t else " |" for t in theirs.values())
            print(f"| {k} | {v:.0f} |{cells}")
    else:
        print()
        for k, v in rows:
            cells = "".join(f"  {'on_first_thread' if n == 'lazy' else n} {t[k]:7.0f}"
                            for n, t in theirs.items() if k in t)
            print(f"{k:45} {v:7.0f} us{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
