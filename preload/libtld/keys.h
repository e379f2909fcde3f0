// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The key table: names and sizes in the process's meta page, published lock-free.
#pragma once

#include <cstddef>
#include <cstdint>

#include <tld/tld.h>

namespace tld::keys {

// See tld_create_key() / tld_find_key() in tld.h for the contracts.
tld_key_t create(const char *name, std::size_t size);
tld_key_t find(const char *name);

// A key that is shared (the preload's keys.conf keys): if the name exists with the same size it
// is returned, and a later create() of the same name and size returns it too instead of
// -EEXIST. A name that exists with another size is -EEXIST, with that size in *existing.
tld_key_t create_shared(const char *name, std::size_t size, std::size_t *existing);

// Called when create() asks for a shared key's name: with its size (create() returns the key)
// or another (create() fails with -EEXIST), so the preload can say which, and which sizes.
using SharedHook = void (*)(const char *name, std::size_t shared_size, std::size_t asked_size);
void set_shared_hook(SharedHook hook);

// Fixes the block size (all keys so far plus the dynamic reserve) on first call; later keys
// must fit in it. Returns the block size in bytes.
std::uint16_t freeze();

// 0 before freeze(), the block size after.
std::uint16_t block_size();

int set_reserve(std::size_t bytes);

} // namespace tld::keys
