#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Doc tests: the code blocks of README.md and docs/*.md that are meant to be compiled or run
are compiled or run, and the messages they quote are compared with what the programs print.

A block takes part when the line just before its opening fence is a marker,
<!-- doctest: CLAUSE; CLAUSE... -->, with these clauses:

  file NAME            the block is saved as NAME in the work directory (before any sh block)
  sh                   the block runs with `bash -e` in the work directory, tldd serving
  run PROG bpf K=V     (with file) after the sh blocks, PROG runs under the preload; once it
                       printed a line, `tldctl list --pid` (a BPF iterator) must show K=V for
                       it; then its stdin is closed and it must exit 0
  load OBJ             (with file) after the sh blocks, the verifier must accept OBJ's programs
                       (bpftool prog loadall, tld_data_map reused from tldd's pin)
  keys-check           (with file) `tldctl keys --check NAME` must accept it (a keys.conf)
  loader OBJ NAME      the block is C that a libbpf skeleton loader runs (OBJ built by an sh
                       block, skeleton NAME): it is compiled into a main() that opens the
                       skeleton unless the block does, loads it unless the block does, and then
                       requires the object's tld_data_map to be tldd's pinned map (same map id)
  prints STATE CMD     (last: CMD is the rest of the marker) every line of the block is in what CMD (bash) prints, stdout and stderr;
                       STATE is tldd=up (a fresh tldd serves), tldd=stopped (one ran and was
                       stopped: its pin remains) or tldd=down (nothing set up)

The environment is a new user's after `cmake --install build --prefix PREFIX` (PATH and
pkg-config find PREFIX; LD_LIBRARY_PATH stands in for ldconfig), as root, with the installed
sample configs copied to $CONF and pointed at a private bpffs ($PIN) and socket ($SOCK); the
preload is $PRELOAD and TLD_CONFIG names $CONF/keys.conf. Before comparing, outputs name the
default paths instead of these (/etc/tld, /sys/fs/bpf/tld, /run/tld/tldd.sock), and in both
texts every number reads '#' and runs of blanks one blank (pids, uids and lines differ).

Usage: doctest.py --source DIR --build DIR --work DIR
"""
import argparse
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

MARK = re.compile(r"^<!--\s*doctest:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(```+|~~~+)")


class Block:
    def __init__(self, doc, line, clauses, text):
        self.doc, self.line, self.clauses, self.text = doc, line, clauses, text

    def where(self):
        return f"{self.doc}:{self.line}"

    def clause(self, word):
        for c in self.clauses:
            if c == word or c.startswith(word + " "):
                return c[len(word):].strip()
        return None


def parse(path, rel):
    blocks, lines = [], open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        m = MARK.match(line)
        if not m:
            continue
        fence = FENCE.match(lines[i + 1]) if i + 1 < len(lines) else None
        if not fence:
            raise SystemExit(f"{rel}:{i + 1}: a doctest marker must be followed by a code fence")
        body = []
        for j in range(i + 2, len(lines)):
            if lines[j].startswith(fence.group(1)):
                break
            body.append(lines[j])
        else:
            raise SystemExit(f"{rel}:{i + 2}: code block never closed")
        # "prints" takes the rest of the marker: its command may hold ';'.
        head, sep, cmd = m.group(1).partition("prints ")
        clauses = [c.strip() for c in head.split(";") if c.strip()]
        if sep:
            clauses.append("prints " + cmd.strip())
        blocks.append(Block(rel, i + 2, clauses, "\n".join(body) + "\n"))
    return blocks


def run(cmd, env, cwd, check=True, **kw):
    r = subprocess.run(cmd, env=env, cwd=cwd, text=True, capture_output=True, **kw)
    if check and r.returncode != 0:
        raise Failure(f"{cmd if isinstance(cmd, str) else ' '.join(cmd)}: exit "
                      f"{r.returncode}\n{r.stdout}{r.stderr}")
    return r


class Failure(Exception):
    pass


class World:
    """The scratch install, configs, bpffs and tldd that the blocks run against."""

    def __init__(self, source, build, work):
        self.source, self.build, self.work = source, build, work
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        os.chmod(work, 0o755)  # the blocks run programs as nobody too
        self.prefix = os.path.join(work, "prefix")
        self.files = os.path.join(work, "files")
        self.bpffs = os.path.join(work, "bpffs")
        self.pin = os.path.join(self.bpffs, "tld")
        self.sock = os.path.join(work, "run", "tldd.sock")
        self.conf = os.path.join(work, "etc", "tld")
        for d in (self.files, self.bpffs, os.path.dirname(self.sock), self.conf):
            os.makedirs(d)
        os.chmod(self.files, 0o777)
        subprocess.run(["mount", "-t", "bpf", "bpf", self.bpffs], check=True)
        libdir = "lib"
        for line in open(os.path.join(build, "CMakeCache.txt")):
            if line.startswith("CMAKE_INSTALL_LIBDIR:"):
                libdir = line.split("=", 1)[1].strip()
        self.libdir = os.path.join(self.prefix, libdir)
        run(["cmake", "--install", build, "--prefix", self.prefix], None, work)
        self.tldd_proc = None
        self.env = {
            "PATH": f"{self.prefix}/bin:{self.prefix}/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
            "PKG_CONFIG_PATH": f"{self.libdir}/pkgconfig",
            "LD_LIBRARY_PATH": self.libdir,
            "HOME": work,
            "LANG": "C.UTF-8",
            "TLD_CONFIG": f"{self.conf}/keys.conf",
            "TLD_LOG_SOCKET": f"{work}/log.sock",  # the preload's warnings stay here
            "TLD_LOG_STAMPS": f"{work}/stamps",
            "PRELOAD": f"{self.libdir}/libtldpreload.so",
            "CONF": self.conf, "PIN": self.pin, "SOCK": self.sock, "WORK": work,
        }
        os.makedirs(self.env["TLD_LOG_STAMPS"])

    def fresh_configs(self):
        """The installed samples, pointed at the private pin root and socket."""
        installed = os.path.join(self.prefix, "etc", "tld")
        for name in ("keys.conf", "tldd.conf"):
            text = open(os.path.join(installed, name)).read()
            text = re.sub(r"(?m)^(socket *= *).*$", r"\g<1>" + self.sock, text)
            text = re.sub(r"(?m)^(pin[-_]root *= *).*$", r"\g<1>" + self.pin, text)
            text = re.sub(r"(?m)^(keys-config *= *).*$",
                          r"\g<1>" + f"{self.conf}/keys.conf", text)
            path = os.path.join(self.conf, name)
            if os.path.exists(path):
                os.chmod(path, 0o644)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o644)

    def start_tldd(self):
        """Starts tldd and waits for its READY=1 (it is a Type=notify service)."""
        notify = os.path.join(self.work, "notify.sock")
        if os.path.exists(notify):
            os.unlink(notify)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(notify)
        s.settimeout(60)
        env = dict(self.env, NOTIFY_SOCKET=notify)
        self.tldd_proc = subprocess.Popen(["tldd", "--config", f"{self.conf}/tldd.conf"],
                                          env=env, stdout=subprocess.DEVNULL,
                                          stderr=open(f"{self.work}/tldd.log", "a"))
        try:
            while b"READY=1" not in s.recv(4096):
                pass
        except socket.timeout:
            raise Failure("tldd did not report READY=1:\n" +
                          open(f"{self.work}/tldd.log").read())
        finally:
            s.close()

    def stop_tldd(self):
        if self.tldd_proc:
            self.tldd_proc.send_signal(signal.SIGTERM)
            self.tldd_proc.wait()
            self.tldd_proc = None

    def remove_pins(self):
        subprocess.run(["rm", "-rf", self.pin], check=True)

    def state(self, want):
        self.stop_tldd()
        self.remove_pins()
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.fresh_configs()
        if want in ("up", "stopped"):
            self.start_tldd()
        if want == "stopped":
            self.stop_tldd()
        elif want not in ("up", "down"):
            raise Failure(f"unknown state tldd={want}")

    def normalize(self, text):
        for mine, default in ((self.sock, "/run/tld/tldd.sock"), (self.pin, "/sys/fs/bpf/tld"),
                              (self.bpffs, "/sys/fs/bpf"), (self.conf, "/etc/tld")):
            text = text.replace(mine, default)
        text = re.sub(r"[0-9]+", "#", text)
        return [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]

    def close(self):
        self.stop_tldd()
        subprocess.run(["umount", "-l", self.bpffs])


def check_sh(world, block):
    run(["bash", "-e", "-c", block.text], world.env, world.files)


def check_run(world, block):
    prog, _, want = block.clause("run").partition(" bpf ")
    env = dict(world.env, LD_PRELOAD=world.env["PRELOAD"])
    p = subprocess.Popen([prog], cwd=world.files, env=env, text=True, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()
    # tldd registers a brokered thread registration-delay-ms after it is announced: wait for
    # the entry (a user typing tldctl waits longer), then it must hold the program's store.
    for _ in range(400):
        listing = run(["tldctl", "list", "--pid", str(p.pid)], world.env, world.files,
                      check=False)
        if not first or f" {p.pid} " in listing.stdout:
            break
        time.sleep(0.05)
    rest, err = p.communicate()
    if not first or p.returncode != 0:
        raise Failure(f"{prog}: exit {p.returncode}\n{first}{rest}{err}")
    if want.strip() not in listing.stdout.split():
        raise Failure(f"BPF does not read {want.strip()} for {prog}:\n{listing.stdout}"
                      f"{listing.stderr}")


def check_load(world, block):
    obj = block.clause("load")
    into = os.path.join(world.bpffs, "doctest-progs")
    try:
        run(["bpftool", "prog", "loadall", obj, into, "map", "name", "tld_data_map", "pinned",
             os.path.join(world.pin, "tld_data_map")], world.env, world.files)
    finally:
        subprocess.run(["rm", "-rf", into])


LOADER_MAIN = """#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "{name}.skel.h"

static unsigned map_id(int fd)
{{
	struct bpf_map_info info = {{0}};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}}

int main(void)
{{
{open}{block}{load}	unsigned pinned = map_id(bpf_obj_get("{pin}/tld_data_map"));
	unsigned used = map_id(bpf_map__fd(skel->maps.tld_data_map));

	printf("pinned map id %u, the object's tld_data_map id %u\\n", pinned, used);
	return pinned && pinned == used ? 0 : 1;
}}
"""


def check_loader(world, block):
    obj, _, name = block.clause("loader").partition(" ")
    name = name.strip()
    if not name:
        raise Failure("loader needs OBJ and the skeleton's NAME")
    text = block.text.replace("/sys/fs/bpf/tld", world.pin)
    src = LOADER_MAIN.format(
        name=name, pin=world.pin, block="\n".join("\t" + l for l in text.splitlines()) + "\n",
        open="" if f"{name}__open" in text else
        f"\tstruct {name} *skel = {name}__open();\n\n\tif (!skel)\n\t\treturn 2;\n",
        load="" if f"{name}__load" in text else
        f"\tif ({name}__load(skel))\n\t\treturn 3;\n")
    base = os.path.join(world.files, f"loader-{block.line}")
    with open(base + ".c", "w") as f:
        f.write(src)
    skel = run(["bpftool", "gen", "skeleton", obj, "name", name], world.env, world.files)
    with open(os.path.join(world.files, f"{name}.skel.h"), "w") as f:
        f.write(skel.stdout)
    flags = run(["pkg-config", "--cflags", "--libs", "libbpf"], world.env,
                world.files).stdout.split()
    run(["cc", "-Wall", "-Werror", "-Wno-unused-value", "-I.", base + ".c", "-o", base] + flags,
        world.env, world.files)
    run([base], world.env, world.files)


def check_keys(world, block):
    run(["tldctl", "keys", "--check", block.clause("file")], world.env, world.files)


def check_prints(world, block):
    state, _, cmd = block.clause("prints").partition(" ")
    if not state.startswith("tldd="):
        raise Failure("prints needs tldd=up, tldd=stopped or tldd=down first")
    world.state(state[len("tldd="):])
    # In a session of its own: a command that wrongly keeps running (a tldd that should have
    # refused to start) is killed with everything it started, and the block fails.
    p = subprocess.Popen(["bash", "-c", cmd], env=world.env, cwd=world.files, text=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise Failure(f"`{cmd}` still ran after 120 s:\n{out}{err}")
    r = subprocess.CompletedProcess(cmd, p.returncode, out, err)
    got = world.normalize(r.stdout + r.stderr)
    missing = [line for line in world.normalize(block.text)
               if line and not any(line in g for g in got)]
    if missing:
        raise Failure(f"`{cmd}` does not print:\n  " + "\n  ".join(missing) +
                      f"\nit printed (exit {r.returncode}):\n{r.stdout}{r.stderr}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    docs = [os.path.join(args.source, "README.md")] + sorted(
        glob.glob(os.path.join(args.source, "docs", "*.md")))
    blocks = [b for d in docs for b in parse(d, os.path.relpath(d, args.source))]
    known = ("file", "sh", "run", "load", "loader", "keys-check", "prints")
    for b in blocks:
        for c in b.clauses:
            if c.split(" ")[0] not in known:
                raise SystemExit(f"{b.where()}: unknown doctest clause '{c}'")
    print(f"{len(blocks)} marked blocks in {len(docs)} documents")

    world = World(args.source, args.build, args.work)
    failures = []

    def attempt(block, what, fn):
        try:
            fn(world, block)
            print(f"ok    {block.where()} {what}")
        except Failure as e:
            failures.append(block.where())
            print(f"FAIL  {block.where()} {what}: {e}")

    try:
        world.fresh_configs()
        for b in blocks:
            if b.clause("file") is not None:
                with open(os.path.join(world.files, b.clause("file")), "w") as f:
                    f.write(b.text)
        world.start_tldd()
        for b in blocks:
            if b.clause("sh") is not None:
                attempt(b, "sh", check_sh)
        for b in blocks:
            if b.clause("run") is not None:
                attempt(b, "run " + b.clause("run"), check_run)
            if b.clause("load") is not None:
                attempt(b, "load " + b.clause("load"), check_load)
            if b.clause("loader") is not None:
                attempt(b, "loader " + b.clause("loader"), check_loader)
            if b.clause("keys-check") is not None:
                attempt(b, "keys-check", check_keys)
        for b in blocks:
            if b.clause("prints") is not None:
                attempt(b, "prints", check_prints)
    finally:
        world.close()
    if failures:
        print(f"{len(failures)} of the marked blocks failed: {' '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
