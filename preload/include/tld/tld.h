/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * libtld: task local data for BPF, the C API.
 *
 * A key names a slot of every thread's data block. tld_get_data() returns the calling thread's
 * pointer for a key; plain stores through it are what BPF programs read with tld.bpf.h.
 * The first call in a thread allocates the thread's block and registers it in tld_data_map.
 * Errors are negative errno values, carried in tld_key_t.off or returned directly.
 */
#ifndef TLD_TLD_H
#define TLD_TLD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TLD_API __attribute__((visibility("default")))

/* off >= 0: the key's offset in a block; off < 0: -errno from tld_create_key(). */
typedef struct {
	int16_t off;
} tld_key_t;

/* Default bytes each block keeps free for keys created after the first block exists. */
#define TLD_DEFAULT_DYN_RESERVE 64

/**
 * tld_create_key() - create a key, or fail if its name exists.
 * @name: 1..61 characters.
 * @size: bytes of data, 1..what a block can still hold.
 *
 * Safe when many threads race, also on the same name: exactly one wins.
 * Under libtldpreload.so the keys keys.conf declares exist already: asking for one of them with
 * the size keys.conf gives it (u32: 4, bytes:N: N) returns that key, shared with the preload.
 * Return: the key; on error .off is -EINVAL (bad name or size), -EEXIST (name taken: by an
 * earlier tld_create_key(), or by a keys.conf key of another size, which the preload then names
 * with both sizes on stderr), -ENOSPC (TLD_MAX_KEYS keys exist), -E2BIG (does not fit the
 * block), -ENOMEM.
 */
TLD_API tld_key_t tld_create_key(const char *name, size_t size);

/**
 * tld_find_key() - look a key up by name.
 * Return: the key, or .off = -ENOENT / -EINVAL.
 */
TLD_API tld_key_t tld_find_key(const char *name);

static inline int tld_key_is_err(tld_key_t key)
{
	return key.off < 0;
}

static inline int tld_key_err_or_zero(tld_key_t key)
{
	return key.off < 0 ? key.off : 0;
}

/**
 * tld_get_data() - the calling thread's data for @key.
 * @map_fd: fd of tld_data_map to register the thread in on first use, or -1 to use the
 *          process's registration backend (libtldpreload's broker or direct path).
 * Return: a pointer valid until the thread exits or calls tld_free(), or NULL with errno set:
 * EINVAL for an error key; ENOTCONN for map_fd < 0 when there is no registration path: no
 * backend (the program does not run under libtldpreload.so, or the preload is inactive:
 * TLD_DISABLE=1, a config error it logged) or one that reaches neither tldd nor the map; else
 * why the block could not be allocated or registered (EPERM, EBADF, ... from the map update).
 */
TLD_API void *tld_get_data(int map_fd, tld_key_t key);

/**
 * tld_free() - release the calling thread's block and registration now rather than at exit.
 * A later tld_get_data() in the same thread starts afresh.
 */
TLD_API void tld_free(void);

/**
 * tld_set_dyn_reserve() - bytes each block keeps for keys created later (default 64).
 * Return: 0, or -EBUSY once the first block exists, -E2BIG if it cannot fit a block.
 */
TLD_API int tld_set_dyn_reserve(size_t bytes);

/*
 * TLD_DEFINE_KEY() - a key created before main(). Check it with tld_key_is_err(key).
 */
#define TLD_DEFINE_KEY(key, name, size)                                                            \
	tld_key_t key;                                                                             \
	__attribute__((constructor)) static void tld_define_key_##key(void)                        \
	{                                                                                          \
		key = tld_create_key(name, size);                                                  \
	}

#ifdef __cplusplus
}
#endif

#endif /* TLD_TLD_H */
