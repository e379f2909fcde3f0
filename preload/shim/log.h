// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload never writes to a host program's stdout or stderr unless TLD_DEBUG=1: its
// output changed programs' results (configure checks, `2>&1 | wc -l`). A warning goes to the
// system log instead, at most once per process and once per uid and cause per boot.
#pragma once

namespace tld::shim {

// Silences warn_once() (config `quiet = true`).
void set_quiet(bool quiet);

// Sends "tld[pid]: uid U: <message>" to the system log (/dev/log, or $TLD_LOG_SOCKET) the first
// time it is called in the process, and only if no process of this uid logged the same format
// since boot (stamp files in /dev/shm, or $TLD_LOG_STAMPS). With TLD_DEBUG=1: on stderr instead,
// every call.
void warn_once(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// Prints "tld: <message>" on stderr when TLD_DEBUG=1: one line per decision, at most 256 per
// process (then one line saying the rest were suppressed).
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// Prints "tld: <message>" on stderr, always: only for a libtld call the program made itself and
// the preload refuses (a key of keys.conf asked for with another size). The program asked.
void program_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// Whether TLD_DEBUG=1 (to skip work that only feeds debug lines).
bool debug_enabled();

// The value of an environment variable, read from environ without getenv's locale or locks.
const char *env(const char *name);

} // namespace tld::shim
