#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The layout guard: every #include in the product's code runs one way (docs/architecture.md).

Each folder below is one part; a part may include only itself and the parts ALLOWED names.
An include is resolved the way the build resolves it (the file's own folder for a bare name,
then the include roots) and judged by the part of the file it finds. A bare name that is not
in the including file's own folder, or a "../", reaches across parts unseen: both are refused.

Usage: layout_check.py SOURCE_DIR
"""
import pathlib
import re
import sys

PARTS = [
    "common/sys", "common/wire", "config", "bpf", "preload/include", "preload/libtld",
    "preload/shim", "loader/progs", "loader/tldd", "loader/tldctl",
]
ALLOWED = {
    "common/sys": {"bpf"},
    "common/wire": {"common/sys", "bpf"},
    "config": {"common/sys", "bpf"},
    "bpf": set(),
    "preload/include": {"bpf"},
    "preload/libtld": {"preload/include", "common/sys", "bpf"},
    "preload/shim": {"preload/libtld", "preload/include", "common/sys", "common/wire", "config",
                     "bpf"},
    "loader/progs": {"common/sys", "bpf"},
    "loader/tldd": {"loader/progs", "common/sys", "common/wire", "config", "bpf"},
    "loader/tldctl": {"loader/progs", "common/sys", "common/wire", "config", "bpf"},
}
# Where a spelled-out include ("sys/fd.h", <tld/abi.h>) is looked for, in the build's order.
ROOTS = ["common", "loader", "bpf/include", "preload/include", "preload", "."]
GENERATED = re.compile(r"(\.skel\.h|^vmlinux\.h)$")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCES = ("*.c", "*.cpp", "*.h", "*.hpp")


def part_of(rel: pathlib.PurePosixPath):
    text = rel.as_posix()
    for part in PARTS:
        if text == part or text.startswith(part + "/"):
            return part
    return None


def check(src: pathlib.Path):
    problems = []
    for part in PARTS:
        for pattern in SOURCES:
            for path in sorted((src / part).rglob(pattern)):
                problems += check_file(src, path, part)
    return problems


def check_file(src: pathlib.Path, path: pathlib.Path, part: str):
    problems = []
    rel = path.relative_to(src)
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        m = INCLUDE.match(line)
        if not m:
            continue
        quote, name = m.groups()
        where = f"{rel}:{number}: #include {quote}{name}{'>' if quote == '<' else quote}"
        if ".." in pathlib.PurePosixPath(name).parts:
            problems.append(f"{where}: '..' reaches outside the folder; spell the part's path")
            continue
        if GENERATED.search(name):
            continue
        if "/" not in name:
            if quote == '"' and not (path.parent / name).exists():
                found = [r for r in ROOTS if (src / r / name).is_file()]
                if found:
                    problems.append(f"{where}: not in {rel.parent}/; a bare name must be the "
                                    f"folder's own (found in {found[0]}/)")
            continue
        target = next((src / r / name for r in ROOTS if (src / r / name).is_file()), None)
        if target is None:
            continue  # a system header
        to = part_of(target.relative_to(src))
        if to is None:
            problems.append(f"{where}: {target.relative_to(src)} belongs to no product part")
        elif to != part and to not in ALLOWED[part]:
            problems.append(f"{where}: {part} may not include {to}")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    src = pathlib.Path(sys.argv[1]).resolve()
    missing = [p for p in PARTS if not (src / p).is_dir()]
    if missing:
        print(f"layout: missing part folders: {', '.join(missing)}", file=sys.stderr)
        return 1
    problems = check(src)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"layout: {len(problems)} include(s) run against the layout", file=sys.stderr)
        return 1
    print(f"layout: {len(PARTS)} parts, every include runs one way")
    return 0


if __name__ == "__main__":
    sys.exit(main())
