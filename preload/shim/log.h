// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload speaks at most once per process (unless TLD_DEBUG=1): a host program's stderr is
// not ours to fill. Messages are formatted on the stack and written with write(2).
#pragma once

namespace tld::shim {

// Silences warn_once() (config `quiet = true`).
void set_quiet(bool quiet);

// Prints "tld: <message>" the first time it is called in the process; later calls are dropped.
void warn_once(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// Prints "tld: <message>" when TLD_DEBUG=1.
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// The value of an environment variable, read from environ without getenv's locale or locks.
const char *env(const char *name);

} // namespace tld::shim
