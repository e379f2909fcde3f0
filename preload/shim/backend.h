// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Which path registers this process's threads (tldd's broker or the map directly), installed
// into libtld as its registration backend. With neither available the program runs on without
// hints, warns once, and retries at most once a second when a thread starts or is renamed.
#pragma once

namespace tld::config {
struct Options;
}

namespace tld::shim {

void backend_init(const config::Options &options);

// Child side of fork(): the parent's broker connection is not ours to use.
void backend_after_fork_child();

// Around exec: the board is emptied before (every other thread ends in exec, and tldd must not
// register their blocks to what the new image inherits), and refilled if exec fails. Returns
// true when that is all exec needs: on tldd's path with a board, tldd's exec hook drops the
// calling thread's entry in the kernel (bpf/tld_exec.bpf.c); otherwise the caller removes it.
bool backend_before_exec();
void backend_after_failed_exec();

} // namespace tld::shim
