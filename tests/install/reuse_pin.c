// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The pinned-map path of a BPF consumer, built against the installed tree: one load of
 * consumer.bpf.o creates tld_data_map from the object's own definition and pins it (as tldd
 * does with its identical definition); later loads reuse the pin, by path
 * (bpf_map__set_pin_path) and by fd (bpf_map__reuse_fd), and read the value this thread
 * stored through libtld. A fresh load without the pin must not see it.
 * Usage: reuse_pin CONSUMER.bpf.o VALUE. Runs in a private mount namespace with its own bpffs.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <tld/tld.h>
#include <unistd.h>

#include "consumer_user.h"

static char dir[] = "/tmp/tld-install-bpffs-XXXXXX";

/* A bpffs nobody else sees: a private mount namespace, gone when this process exits. */
static int private_bpffs(void)
{
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		fprintf(stderr, "private mount namespace: %s\n", strerror(errno));
		return -1;
	}
	if (!mkdtemp(dir) || mount("bpf", dir, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "mount bpffs on %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Loads the object (reusing the pin as asked), checks it got map @want_id, reads the value. */
static int read_through(const char *what, const char *obj_path, const char *pin, int reuse_fd,
                        unsigned int want_id, struct consumer_args *args)
{
	struct bpf_object *obj = consumer_load(obj_path, pin, reuse_fd);
	unsigned int id;
	int err;

	if (!obj)
		return -1;
	id = consumer_map_id(consumer_map_fd(obj));
	err = consumer_read(obj, args);
	bpf_object__close(obj);
	if (err)
		return -1;
	if (want_id && id != want_id) {
		fprintf(stderr, "%s: got map id %u, not the pinned map %u\n", what, id, want_id);
		return -1;
	}
	printf("reuse_pin: %s: map id %u, BPF read %llu (found %d, init %d)\n", what, id,
	       (unsigned long long)args->value, args->found, args->init_err);
	return 0;
}

int main(int argc, char **argv)
{
	struct consumer_args args;
	struct bpf_object *first;
	char pin[sizeof(dir) + 32];
	unsigned int id;
	uint64_t *slot;
	tld_key_t key;
	int fd, ok;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CONSUMER.bpf.o VALUE\n", argv[0]);
		return 2;
	}
	if (private_bpffs())
		return 1;
	snprintf(pin, sizeof(pin), "%s/tld_data_map", dir);

	/* 1. Create the map from the object's definition and pin it. */
	first = consumer_load(argv[1], NULL, -1);
	if (!first)
		return 1;
	if (bpf_map__pin(bpf_object__find_map_by_name(first, "tld_data_map"), pin)) {
		fprintf(stderr, "pin %s: %s\n", pin, strerror(errno));
		return 1;
	}
	id = consumer_map_id(consumer_map_fd(first));
	bpf_object__close(first); /* only the pin holds the map now */

	/* 2. Register this thread in the pinned map, as a program with direct access does. */
	fd = bpf_obj_get(pin);
	key = tld_create_key(CONSUMER_KEY, sizeof(uint64_t));
	slot = fd >= 0 && !tld_key_is_err(key) ? tld_get_data(fd, key) : NULL;
	if (!slot) {
		fprintf(stderr, "registering in %s: %s\n", pin, strerror(errno));
		return 1;
	}
	*slot = strtoull(argv[2], NULL, 0);

	/* 3. Reuse by pin path, then by fd: both must read the value. */
	if (read_through("pin path", argv[1], pin, -1, id, &args))
		return 1;
	ok = args.found && args.value == *slot;
	if (read_through("reuse fd", argv[1], NULL, fd, id, &args))
		return 1;
	ok = ok && args.found && args.value == *slot;

	/* 4. Control: an object with a map of its own does not know this thread. */
	if (read_through("own map", argv[1], NULL, -1, 0, &args))
		return 1;
	ok = ok && !args.found && args.init_err == -ENOENT;

	tld_free();
	close(fd);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	printf("reuse_pin: %s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
