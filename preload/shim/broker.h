// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload's one connection to tldd (common/wire/broker_client), owned per process: a fork child
// drops the inherited connection and opens its own with its own arena memfd.
#pragma once

#include <sys/types.h>

#include "libtld/arena.h"

namespace tld::shim {

// Connects and sends the arena memfd if not connected (or connected from a parent process).
// Returns 0 or -errno.
int broker_connect(const char *socket_path);
bool broker_connected();

// Whether the connection was re-established (tldd restarted) since the last call: everything
// queued to the old tldd may be lost, so every thread is registered again.
bool broker_reconnected();

// Fire-and-forget registration of thread `tid`'s block: announced on the board (tldd registers
// it after its delay), or sent as a REGISTER when the block is past the board. -errno if not
// connected or a send failed (the connection is then dropped).
int broker_register(pid_t tid, const arena::Block &block);

// Removes `tid`'s registration; with `wait`, returns only once tldd has done it (or failed).
int broker_unregister(pid_t tid, bool wait);

// Takes the block off the board, so no later scan registers it: before an UNREGISTER, and at
// thread exit (where the kernel drops the registration by itself).
void broker_forget_block(const arena::Block &block);

// Before exec: every block leaves the board (board.h, clear_all()).
void broker_forget_all();

// Whether a successful exec needs nothing from us: the thread's registration came from the
// board (cleared before exec, so no late scan renews it) and tldd's exec hook deletes it. From
// another pid namespace registrations are REGISTER messages that may still be queued at tldd
// when the hook runs: those are removed by an UNREGISTER tldd answers before the exec.
bool broker_exec_hooked();

void broker_after_fork_child();

} // namespace tld::shim
