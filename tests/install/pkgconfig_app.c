// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A C program built with `cc app.c $(pkg-config --cflags --libs tld libbpf)` against the
 * installed tree. Usage: pkgconfig_app CONSUMER.bpf.o VALUE
 * Creates a key, stores VALUE in this thread's slot of a real tld_data_map (created by loading
 * the consumer object) and prints what the BPF consumer reads back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <tld/tld.h>

#include "consumer_user.h"

int main(int argc, char **argv)
{
	struct consumer_args args;
	struct bpf_object *obj;
	uint64_t *slot;
	tld_key_t key;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CONSUMER.bpf.o VALUE\n", argv[0]);
		return 2;
	}
	/* 1. The map: the consumer object's own tld_data_map. */
	obj = consumer_load(argv[1], NULL, -1);
	if (!obj)
		return 1;
	/* 2. A key, and this thread's slot (registers the thread in the map). */
	key = tld_create_key(CONSUMER_KEY, sizeof(uint64_t));
	if (tld_key_is_err(key)) {
		fprintf(stderr, "tld_create_key: %s\n", strerror(-tld_key_err_or_zero(key)));
		return 1;
	}
	slot = tld_get_data(consumer_map_fd(obj), key);
	if (!slot) {
		fprintf(stderr, "tld_get_data: %s\n", strerror(errno));
		return 1;
	}
	*slot = strtoull(argv[2], NULL, 0);
	/* 3. What BPF sees. */
	if (consumer_read(obj, &args))
		return 1;
	printf("c/pkg-config: %s = %llu, BPF read %llu (found %d, init %d)\n", CONSUMER_KEY,
	       (unsigned long long)*slot, (unsigned long long)args.value, args.found,
	       args.init_err);
	bpf_object__close(obj);
	return args.found && args.value == *slot ? 0 : 1;
}
