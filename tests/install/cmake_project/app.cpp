// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// A C++ program built with find_package(tld) and tld::tld, using the C++ wrapper.
// Usage: cmake_app CONSUMER.bpf.o VALUE (see pkgconfig_app.c, the same steps in C).
#include <cstdint>
#include <cstdlib>
#include <tld/tld.hpp>

#include "consumer_user.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s CONSUMER.bpf.o VALUE\n", argv[0]);
		return 2;
	}
	bpf_object *obj = consumer_load(argv[1], nullptr, -1);
	if (!obj)
		return 1;
	auto key = tld::Key<uint64_t>::create(CONSUMER_KEY);
	if (!key.ok()) {
		fprintf(stderr, "tld::Key::create: %s\n", strerror(-key.error()));
		return 1;
	}
	uint64_t *slot = key.get(consumer_map_fd(obj));
	if (!slot) {
		fprintf(stderr, "tld::Key::get: %s\n", strerror(errno));
		return 1;
	}
	*slot = std::strtoull(argv[2], nullptr, 0);
	consumer_args args;
	if (consumer_read(obj, &args))
		return 1;
	printf("c++/find_package: %s = %llu, BPF read %llu (found %d, init %d)\n", CONSUMER_KEY,
	       static_cast<unsigned long long>(*slot), static_cast<unsigned long long>(args.value),
	       args.found, args.init_err);
	bpf_object__close(obj);
	return args.found && args.value == *slot ? 0 : 1;
}
