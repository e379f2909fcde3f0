// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// C++ wrapper over the libtld C API: typed keys and a scope that releases the thread's block.
// Header-only and exception-free, so it is usable wherever the C API is.
#pragma once

#include <cerrno>
#include <type_traits>

#include <tld/tld.h>

namespace tld {

// A typed key. T must be trivially copyable: BPF reads its bytes as they are.
template <typename T> class Key {
	static_assert(std::is_trivially_copyable_v<T>, "BPF reads the raw bytes of T");

public:
	// Creates the key; check ok() / error().
	static Key create(const char *name) { return Key(tld_create_key(name, sizeof(T))); }
	// Finds a key someone else created with the same name.
	static Key find(const char *name) { return Key(tld_find_key(name)); }

	bool ok() const { return !tld_key_is_err(key_); }
	int error() const { return tld_key_err_or_zero(key_); }
	tld_key_t raw() const { return key_; }

	// This thread's T, or nullptr (errno set). map_fd < 0: the process's registration backend.
	T *get(int map_fd = -1) const { return static_cast<T *>(tld_get_data(map_fd, key_)); }

private:
	explicit Key(tld_key_t key) : key_(key) {}
	tld_key_t key_;
};

// Releases the calling thread's block and registration when the scope ends, for threads that
// outlive their use of tld (thread pools).
class ThreadScope {
public:
	ThreadScope() = default;
	~ThreadScope() { tld_free(); }
	ThreadScope(const ThreadScope &) = delete;
	ThreadScope &operator=(const ThreadScope &) = delete;
};

} // namespace tld
