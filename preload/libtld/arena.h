// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The arena: one sealed memfd per process holding the meta page (page 0) and one data page per
// thread block (block i is page 1 + i), so a consumer of upstream's layout reads each thread's
// `start` word from the thread's own page. Data pages are mapped in chunks as threads need
// them, each chunk where the kernel puts it (pages never move once mapped), and a broker
// (tldd) can map the same memfd to register threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

#include <tld/abi.h>

#include "sys/owned_fd.h"

namespace tld::arena {

// One thread's block: data page `page_index` of the memfd (>= 1), block at `start` in it
// (always TLD_DATA_START, the value of the page's start word).
struct Block {
	void *page = nullptr;
	std::uint32_t page_index = 0;
	std::uint16_t start = TLD_DATA_START;

	void *data() const { return static_cast<char *>(page) + start; }
	explicit operator bool() const { return page != nullptr; }
};

// Maps the memfd and the meta page; idempotent and thread-safe. Returns 0 or -errno.
int init();

// The meta page, or nullptr before init() succeeded.
tld_meta_u *meta();

// The memfd (sealed against shrinking) and how many bytes of it are in use, for the broker.
int memfd();
std::size_t memfd_size();
// What the memfd is (device and inode), so the broker client need not fstat it again.
sys::FdIdentity memfd_identity();

// Allocates a zeroed block of block_size() bytes. The first call fixes the block size.
// Returns 0 or -errno (-ENOMEM when the arena is full).
int alloc(Block *out);

// The block's number, page_index - 1 (the board that tldd reads is indexed by it).
std::uint32_t index_of(const Block &block);

// Gives a block back. It is reused only after `quarantine_ns` (see docs/architecture.md):
// BPF may still read and write a block until its registration is gone. With `owner`, the
// exiting thread that had it, it comes back as soon as that thread is gone and a short grace
// period is over, which keeps a process that churns threads from growing its arena.
void release(const Block &block, pid_t owner = 0);

// Blocks handed out and not released, for tests and tldctl.
std::size_t live_blocks();
// Blocks (data pages) handed out so far: live, quarantined or free again (for tests).
std::size_t carved_blocks();
// Pages the memfd holds (meta included); data pages past carved_blocks() are holes.
std::size_t pages();
// Bytes of address space the arena maps: pages, bookkeeping and the chunk table.
std::size_t mapped_bytes();

// Child side of fork(): replaces the shared mapping with a private copy at the same addresses,
// so parent and child never share a block. Only `keep` stays allocated.
void after_fork_child(const Block *keep);

// Nanoseconds a released block waits before reuse; settable for tests.
void set_quarantine_ns(std::uint64_t ns);

} // namespace tld::arena
