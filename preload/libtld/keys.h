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

// Fixes the block size (all keys so far plus the dynamic reserve) on first call; later keys
// must fit in it. Returns the block size in bytes.
std::uint16_t freeze();

// 0 before freeze(), the block size after.
std::uint16_t block_size();

int set_reserve(std::size_t bytes);

} // namespace tld::keys
