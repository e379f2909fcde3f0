// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The C ABI. Nothing here throws: the core is built with -fno-exceptions.
#include <atomic>
#include <cerrno>

#include <tld/tld.h>

#include "keys.h"
#include "thread.h"

namespace {

std::atomic<void (*)()> g_api_hook{nullptr};

void enter()
{
	if (void (*hook)() = g_api_hook.load(std::memory_order_acquire))
		hook();
}

} // namespace

void tld::thread::set_api_hook(void (*hook)())
{
	g_api_hook.store(hook, std::memory_order_release);
}

extern "C" {

tld_key_t tld_create_key(const char *name, size_t size)
{
	enter();
	return tld::keys::create(name, size);
}

tld_key_t tld_find_key(const char *name)
{
	enter();
	return tld::keys::find(name);
}

void *tld_get_data(int map_fd, tld_key_t key)
{
	enter();
	if (key.off < 0) {
		errno = EINVAL;
		return nullptr;
	}
	int err = 0;
	const tld::arena::Block *block = tld::thread::block(&err);
	if (!block) {
		errno = -err;
		return nullptr;
	}
	if (key.off >= tld::keys::block_size()) {
		errno = EINVAL;
		return nullptr;
	}
	if (!tld::thread::registered()) {
		if ((err = tld::thread::register_own_block(map_fd)) < 0) {
			errno = -err;
			return nullptr;
		}
	}
	return static_cast<char *>(block->data()) + key.off;
}

void tld_free(void)
{
	// No hook: a dormant process has no block to free.
	tld::thread::release_self();
}

int tld_set_dyn_reserve(size_t bytes)
{
	enter(); // the config's reserve first, so that the program's wins as at exec
	return tld::keys::set_reserve(bytes);
}

} // extern "C"
