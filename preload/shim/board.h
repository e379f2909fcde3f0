// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload's half of the board (common/wire/protocol.h, struct tld_broker_board): a memfd shared
// with tldd where a new thread announces its block with plain stores, so registering through
// tldd costs a thread no syscall (tldd is rung at most once per scan it makes).
#pragma once

#include <cstdint>
#include <sys/types.h>

#include "sys/owned_fd.h"

namespace tld::shim::board {

// Creates and maps the board once per process; thread-safe. Returns its memfd or -errno.
int init();
// What the board's memfd is, once init() returned it.
sys::FdIdentity identity();

// Announces that thread `tid` owns arena block `index` (`block_size` bytes). Returns 1 when
// the caller must send tldd a DOORBELL (the board was armed, or the scan tldd owes is overdue,
// which the DOORBELL's fate then explains), 0 when tldd will read the board anyway, -ENOSPC when
// the block is past the board (register it with a message) or -ENODEV before init().
int publish(std::uint32_t index, std::uint32_t block_size, pid_t tid);

// The DOORBELL could not be sent: ask the next publish() to ring instead.
void rearm();

// Block `index` has no owner any more (its thread exits or freed it). No-op without a board.
void clear(std::uint32_t index);

// Every block has no owner any more: before exec, which ends every other thread. A scan after
// it would otherwise register the old image's blocks to tids the new image may inherit (the
// exec'ing thread takes the process's tid).
void clear_all();

// Child side of fork(): the board is the parent's; the next init() makes the child's own.
void after_fork_child();

} // namespace tld::shim::board
