#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Turns the man pages' markdown (man/*.md) into roff for man(1).

The markdown is a small subset, so that the pages read well on GitHub too:
  line 1: "# NAME(SECTION) -- one-line summary"
  "## HEADING"                 a section (.SH)
  a line starting with "`", then lines indented by 4 spaces: a tagged paragraph (.TP)
  in "## Synopsis", every line is a line of its own
  "```" fenced blocks         verbatim (.nf/.fi)
  "- item"                     a bullet
  blank line                   a new paragraph
  **bold**, `code` (bold), *italic*
@VERSION@, @CONFIG_DIR@ and @DOCDIR@ become the build's values.
Usage: md2man.py IN OUT VERSION CONFIG_DIR DOCDIR
"""
import gzip
import os
import re
import sys


def inline(text):
    text = text.replace("\\", "\\e")
    text = re.sub(r"\*\*(.+?)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"\\fI\1\\fR", text)
    text = text.replace("-", "\\-")
    # A line starting with . or ' would be a roff request.
    return re.sub(r"^([.'])", r"\\&\1", text)


def convert(lines, version):
    m = re.match(r"^# (\S+)\((\w+)\) -- (.*)$", lines[0])
    if not m:
        sys.exit(f"md2man: line 1 must be '# NAME(SECTION) -- summary': {lines[0]!r}")
    name, section, summary = m.groups()
    out = [f'.TH "{name.upper()}" "{section}" "" "tld {version}" "tld"',
           ".SH NAME", f"{inline(name)} \\- {inline(summary)}"]
    verbatim = False
    section = ""
    body = lines[1:]
    for i, line in enumerate(body):
        following = body[i + 1] if i + 1 < len(body) else ""
        if line.startswith("```"):
            out.append(".fi\n.RE" if verbatim else ".RS 4\n.nf")
            verbatim = not verbatim
        elif verbatim:
            out.append(re.sub(r"^([.'])", r"\\&\1", line.replace("\\", "\\e")))
        elif line.startswith("## "):
            section = line[3:]
            out.append(f".SH {inline(section).upper()}")
        elif line.startswith("`") and following.startswith("    "):
            out.append(".TP\n" + inline(line))
        elif section == "Synopsis" and line.strip():
            out.append(inline(line) + "\n.br")
        elif line.startswith("- "):
            out.append(".IP \\(bu 2\n" + inline(line[2:]))
        elif not line.strip():
            if out[-1] not in (".PP",) and not out[-1].startswith(".TP"):
                out.append(".PP")
        else:
            out.append(inline(line.strip()))
    return "\n".join(out) + "\n"


def main():
    src, dst, version, config_dir, docdir = sys.argv[1:6]
    with open(src, encoding="utf-8") as f:
        text = f.read()
    for k, v in (("@VERSION@", version), ("@CONFIG_DIR@", config_dir), ("@DOCDIR@", docdir)):
        text = text.replace(k, v)
    roff = convert(text.splitlines(), version)
    # DST (for the tests and man -l) and DST.gz, what is installed: gzip -9n, as Debian
    # policy wants man pages (no name, no time stamp: the same bytes every build).
    for path, data in ((dst, roff.encode("utf-8")),
                       (dst + ".gz", gzip.compress(roff.encode("utf-8"), 9, mtime=0))):
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)


main()
