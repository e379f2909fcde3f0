// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Keys are created lock-free so that creation is safe from any thread, from constructors and
// across fork (a lock held by a thread that does not exist in the child would deadlock it).
// One 64-bit state word is the single point of truth; the meta page mirrors it for BPF.
#include "keys.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <sched.h>

#include <tld/abi.h>

#include "arena.h"

namespace tld::keys {
namespace {

// state: bits 0..7 key count, 8..23 bytes used by keys, 24..39 block size (0: not frozen).
struct State {
	std::uint32_t cnt;
	std::uint32_t used;
	std::uint32_t block;

	static State unpack(std::uint64_t w)
	{
		return {static_cast<std::uint32_t>(w & 0xff),
		        static_cast<std::uint32_t>((w >> 8) & 0xffff),
		        static_cast<std::uint32_t>((w >> 24) & 0xffff)};
	}
	std::uint64_t pack() const
	{
		return std::uint64_t{cnt} | std::uint64_t{used} << 8 | std::uint64_t{block} << 24;
	}
};

// A block is its page after the start word (abi.h).
constexpr std::uint32_t kMaxBlock = TLD_PAGE_SIZE - TLD_DATA_START;

std::atomic<std::uint64_t> g_state{0};
std::atomic<std::uint32_t> g_reserve{TLD_DEFAULT_DYN_RESERVE};
// Slots created by create_shared() (the preload's config keys), one bit each; set before the
// slot is published, so whoever sees the slot published sees its bit.
std::atomic<std::uint64_t> g_shared{0};
std::atomic<SharedHook> g_shared_hook{nullptr};
static_assert(TLD_MAX_KEYS <= 64, "one bit per slot in g_shared");

std::uint16_t slot_size(std::size_t size)
{
	return static_cast<std::uint16_t>(TLD_ROUND_UP(size));
}

bool valid_name(const char *name)
{
	if (!name)
		return false;
	std::size_t len = strnlen(name, TLD_NAME_LEN);
	return len > 0 && len < TLD_NAME_LEN;
}

std::atomic_ref<std::uint16_t> published_size(tld_meta_u *meta, std::uint32_t i)
{
	return std::atomic_ref<std::uint16_t>(meta->metadata[i].size);
}

// Waits until slot i, claimed by another thread, is published; returns its size. The claimant
// is between two stores, so this is short; yield so a preempted claimant can finish.
std::uint16_t wait_published(tld_meta_u *meta, std::uint32_t i)
{
	for (;;) {
		std::uint16_t size = published_size(meta, i).load(std::memory_order_acquire);
		if (size)
			return size;
		sched_yield();
	}
}

bool name_equals(const tld_metadata &md, const char *name)
{
	return strncmp(md.name, name, TLD_NAME_LEN) == 0;
}

void publish(tld_meta_u *meta, std::uint32_t i, const char *name, std::size_t size)
{
	tld_metadata &md = meta->metadata[i];
	std::memset(md.name, 0, sizeof(md.name));
	std::memcpy(md.name, name, strnlen(name, TLD_NAME_LEN - 1));
	published_size(meta, i).store(static_cast<std::uint16_t>(size), std::memory_order_release);

	// cnt only grows; slots may be published out of order, BPF stops at an unpublished one.
	std::atomic_ref<std::uint16_t> cnt(meta->cnt);
	std::uint16_t seen = cnt.load(std::memory_order_relaxed);
	while (seen < i + 1 &&
	       !cnt.compare_exchange_weak(seen, static_cast<std::uint16_t>(i + 1),
	                                  std::memory_order_release, std::memory_order_relaxed)) {
	}
}

} // namespace

namespace {

bool is_shared(std::uint32_t i)
{
	return g_shared.load(std::memory_order_acquire) >> i & 1;
}

// The one creation loop. A name that exists is -EEXIST, unless `share` (the caller's key is
// shared) or the slot is shared, and the sizes agree: then it is the same key. *existing gets
// the size of a name found with another size.
tld_key_t create_key(const char *name, std::size_t size, bool share, std::size_t *existing)
{
	if (!valid_name(name) || size == 0 || size > kMaxBlock)
		return {static_cast<std::int16_t>(-EINVAL)};
	if (int err = arena::init(); err < 0)
		return {static_cast<std::int16_t>(err)};
	tld_meta_u *meta = arena::meta();

	std::uint32_t checked = 0, off = 0;
	std::uint64_t word = g_state.load(std::memory_order_acquire);
	for (;;) {
		State s = State::unpack(word);
		for (; checked < s.cnt; checked++) {
			std::uint16_t have = wait_published(meta, checked);
			if (name_equals(meta->metadata[checked], name)) {
				bool shared = share || is_shared(checked);
				if (shared && !share)
					if (SharedHook hook =
					            g_shared_hook.load(std::memory_order_acquire))
						hook(name, have, size);
				if (shared && have == size) {
					if (share)
						g_shared.fetch_or(std::uint64_t{1} << checked,
						                  std::memory_order_release);
					return {static_cast<std::int16_t>(off)};
				}
				if (existing)
					*existing = have;
				return {static_cast<std::int16_t>(-EEXIST)};
			}
			off += slot_size(have);
		}
		if (s.cnt >= TLD_MAX_KEYS)
			return {static_cast<std::int16_t>(-ENOSPC)};
		std::uint32_t cap = s.block ? s.block : kMaxBlock;
		if (s.used + slot_size(size) > cap)
			return {static_cast<std::int16_t>(-E2BIG)};

		State next{s.cnt + 1, s.used + slot_size(size), s.block};
		if (g_state.compare_exchange_weak(word, next.pack(), std::memory_order_acq_rel,
		                                  std::memory_order_acquire)) {
			if (share)
				g_shared.fetch_or(std::uint64_t{1} << s.cnt,
				                  std::memory_order_release);
			publish(meta, s.cnt, name, size);
			return {static_cast<std::int16_t>(s.used)};
		}
	}
}

} // namespace

tld_key_t create(const char *name, std::size_t size)
{
	return create_key(name, size, false, nullptr);
}

tld_key_t create_shared(const char *name, std::size_t size, std::size_t *existing)
{
	return create_key(name, size, true, existing);
}

void set_shared_hook(SharedHook hook)
{
	g_shared_hook.store(hook, std::memory_order_release);
}

tld_key_t find(const char *name)
{
	if (!valid_name(name))
		return {static_cast<std::int16_t>(-EINVAL)};
	tld_meta_u *meta = arena::meta();
	if (!meta)
		return {static_cast<std::int16_t>(-ENOENT)};
	State s = State::unpack(g_state.load(std::memory_order_acquire));
	std::uint32_t off = 0;
	for (std::uint32_t i = 0; i < s.cnt; i++) {
		std::uint16_t size = wait_published(meta, i);
		if (name_equals(meta->metadata[i], name))
			return {static_cast<std::int16_t>(off)};
		off += slot_size(size);
	}
	return {static_cast<std::int16_t>(-ENOENT)};
}

std::uint16_t freeze()
{
	std::uint64_t word = g_state.load(std::memory_order_acquire);
	for (;;) {
		State s = State::unpack(word);
		if (s.block)
			return static_cast<std::uint16_t>(s.block);
		std::uint32_t block = slot_size(s.used + g_reserve.load(std::memory_order_relaxed));
		if (block > kMaxBlock)
			block = kMaxBlock;
		if (block == 0)
			block = TLD_DATA_ALIGN;
		State next{s.cnt, s.used, block};
		if (g_state.compare_exchange_weak(word, next.pack(), std::memory_order_acq_rel,
		                                  std::memory_order_acquire)) {
			if (tld_meta_u *meta = arena::meta())
				std::atomic_ref<std::uint16_t>(meta->size)
				        .store(static_cast<std::uint16_t>(block),
				               std::memory_order_release);
			return static_cast<std::uint16_t>(block);
		}
	}
}

std::uint16_t block_size()
{
	return static_cast<std::uint16_t>(
	        State::unpack(g_state.load(std::memory_order_acquire)).block);
}

int set_reserve(std::size_t bytes)
{
	if (bytes > kMaxBlock)
		return -E2BIG;
	if (block_size())
		return -EBUSY;
	g_reserve.store(static_cast<std::uint32_t>(bytes), std::memory_order_relaxed);
	return block_size() ? -EBUSY : 0;
}

} // namespace tld::keys
