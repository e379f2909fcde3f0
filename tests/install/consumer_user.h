/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * User-space half of the installed-package consumers: load consumer.bpf.o (which creates its
 * own tld_data_map, or reuses a pinned one) and run read_answer in the calling thread.
 * Plain C that also compiles as C++, errors as negative errno with a message on stderr.
 */
#ifndef TLD_INSTALL_CONSUMER_USER_H
#define TLD_INSTALL_CONSUMER_USER_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "consumer.h"

/*
 * Opens and loads the object. @pin_path: reuse (or create and pin) tld_data_map there;
 * @reuse_fd >= 0: use that map. Both NULL/-1: the object creates a fresh map.
 */
static inline struct bpf_object *consumer_load(const char *path, const char *pin_path, int reuse_fd)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *map;
	int err;

	if (!obj) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	map = bpf_object__find_map_by_name(obj, "tld_data_map");
	if (!map) {
		fprintf(stderr, "%s has no tld_data_map\n", path);
		bpf_object__close(obj);
		return NULL;
	}
	err = pin_path ? bpf_map__set_pin_path(map, pin_path) : 0;
	if (!err && reuse_fd >= 0)
		err = bpf_map__reuse_fd(map, reuse_fd);
	if (!err)
		err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "load %s: %s\n", path, strerror(-err));
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

static inline int consumer_map_fd(struct bpf_object *obj)
{
	return bpf_map__fd(bpf_object__find_map_by_name(obj, "tld_data_map"));
}

/* Runs read_answer in this thread; 0 and @args filled, or -errno. */
static inline int consumer_read(struct bpf_object *obj, struct consumer_args *args)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "read_answer");
	struct bpf_test_run_opts opts;
	int err;

	memset(args, 0, sizeof(*args));
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	/* A syscall program's context is copied back into ctx_in; ctx_out must stay unset. */
	opts.ctx_in = args;
	opts.ctx_size_in = sizeof(*args);
	if (!prog)
		return -ENOENT;
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err) {
		fprintf(stderr, "running read_answer: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/* The id of a map, to tell a reused map from a new one. */
static inline unsigned int consumer_map_id(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

#endif /* TLD_INSTALL_CONSUMER_USER_H */
