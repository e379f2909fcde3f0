// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Loading the test BPF programs (tld_test.bpf.c) in each of their compiled flavours, with
// libbpf's messages (the verifier log included) kept for the failure message.
#pragma once

#include <bpf/libbpf.h>

#include <cstddef>
#include <memory>
#include <ostream>
#include <string>

#include "tld_test.h"

namespace tld::test {

// One compilation of tld_test.bpf.c: -mcpu=v1/v2 have no alu32, v3 has alu32 and jmp32.
struct Flavour {
	const char *name;
	const void *(*elf_bytes)(size_t *size);
};
extern const Flavour kFlavours[3];

// Test names and parameters print as the flavour ("v3"), not as a pointer.
inline void PrintTo(const Flavour *flavour, std::ostream *os)
{
	*os << flavour->name;
}

struct BpfObjectDeleter {
	void operator()(bpf_object *obj) const { bpf_object__close(obj); }
};

// A loaded tld_test object. Move-only through unique_ptr; maps and programs die with it.
class TestObject {
public:
	// Opens and loads @flavour. With @data_map_fd >= 0, tld_data_map reuses that map (as a
	// consumer reusing tldd's pin would). Returns nullptr and sets @error (libbpf's log,
	// verifier output included) on failure.
	static std::unique_ptr<TestObject> load(const Flavour &flavour, std::string *error,
	                                        int data_map_fd = -1);

	int prog_fd(const char *name) const;
	int data_map_fd() const;
	int key_map_fd() const;
	// The test's own task storage holding a struct tld_keys (tld_object_init_cache()).
	int consumer_map_fd() const;
	// The same for tld_object_init_value() (read_named_value).
	int consumer_value_map_fd() const;

	// Runs read_named in the calling thread. Returns 0 or -errno of BPF_PROG_TEST_RUN.
	int read_named(tld_test_ctx *ctx) const;
	// Runs read_named_cache: the same reads with the cache in consumer_ctx.
	int read_named_cache(tld_test_ctx *ctx) const;
	// Runs read_named_value: tld_data_map looked up by the program, then
	// tld_object_init_value() with the cache in consumer_value_ctx.
	int read_named_value(tld_test_ctx *ctx) const;
	// Runs the three read_generic programs in the calling thread.
	int read_generic(tld_test_ctx *ctx) const;

private:
	std::unique_ptr<bpf_object, BpfObjectDeleter> obj_;
};

// libbpf's messages since the last call, for failure reports.
std::string take_libbpf_log();

} // namespace tld::test
