// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "test_object.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "progs/bpf_loader.h"
#include "tld_test_v1.skel.h"
#include "tld_test_v2.skel.h"
#include "tld_test_v3.skel.h"

namespace tld::test {

const Flavour kFlavours[3] = {
        {"v1", tld_test_v1__elf_bytes},
        {"v2", tld_test_v2__elf_bytes},
        {"v3", tld_test_v3__elf_bytes},
};

namespace {

// Installed before main so every libbpf call in the test binary is collected, by tldctl's own
// collector (progs/bpf_loader.h). It keeps the last 400 lines: a verifier log's reason is at
// its end.
[[maybe_unused]] const bool log_collected = [] {
	ctl::capture_libbpf_log(false);
	return true;
}();

std::mutex log_mutex;
std::string log_taken; // what the collector held at the last take_libbpf_log()

} // namespace

std::string take_libbpf_log()
{
	std::lock_guard<std::mutex> lock(log_mutex);
	std::string now = ctl::libbpf_log_tail(400);
	// Only the lines since the last take; all it holds if it has dropped old lines since.
	std::string out = now.starts_with(log_taken) ? now.substr(log_taken.size()) : now;
	log_taken = std::move(now);
	return out;
}

std::unique_ptr<TestObject> TestObject::load(const Flavour &flavour, std::string *error,
                                             int data_map_fd)
{
	size_t size = 0;
	const void *bytes = flavour.elf_bytes(&size);
	std::string name = std::string("tld_test_") + flavour.name;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name.c_str());

	take_libbpf_log();
	std::unique_ptr<TestObject> t(new TestObject);
	t->obj_.reset(bpf_object__open_mem(bytes, size, &opts));
	if (!t->obj_) {
		*error = "bpf_object__open_mem(" + name + "): " + std::strerror(errno) + "\n" +
		         take_libbpf_log();
		return nullptr;
	}
	if (data_map_fd >= 0) {
		bpf_map *map = bpf_object__find_map_by_name(t->obj_.get(), "tld_data_map");
		int err = map ? bpf_map__reuse_fd(map, data_map_fd) : -ENOENT;
		if (err) {
			*error = "bpf_map__reuse_fd(tld_data_map): " +
			         std::string(std::strerror(-err)) + "\n" + take_libbpf_log();
			return nullptr;
		}
	}
	int err = bpf_object__load(t->obj_.get());
	if (err) {
		*error = "bpf_object__load(" + name + "): " + std::strerror(-err) + "\n" +
		         take_libbpf_log();
		return nullptr;
	}
	return t;
}

int TestObject::prog_fd(const char *name) const
{
	bpf_program *prog = bpf_object__find_program_by_name(obj_.get(), name);
	return prog ? bpf_program__fd(prog) : -1;
}

int TestObject::data_map_fd() const
{
	return bpf_object__find_map_fd_by_name(obj_.get(), "tld_data_map");
}

int TestObject::key_map_fd() const
{
	return bpf_object__find_map_fd_by_name(obj_.get(), "tld_key_map");
}

int TestObject::consumer_map_fd() const
{
	return bpf_object__find_map_fd_by_name(obj_.get(), "consumer_ctx");
}

int TestObject::consumer_value_map_fd() const
{
	return bpf_object__find_map_fd_by_name(obj_.get(), "consumer_value_ctx");
}

namespace {

int run(int prog_fd, tld_test_ctx *ctx)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = sizeof(*ctx));
	// libbpf 1.x returns -errno.
	return bpf_prog_test_run_opts(prog_fd, &opts);
}

} // namespace

int TestObject::read_named(tld_test_ctx *ctx) const
{
	*ctx = {};
	return run(prog_fd("read_named"), ctx);
}

int TestObject::read_named_cache(tld_test_ctx *ctx) const
{
	*ctx = {};
	return run(prog_fd("read_named_cache"), ctx);
}

int TestObject::read_named_value(tld_test_ctx *ctx) const
{
	*ctx = {};
	return run(prog_fd("read_named_value"), ctx);
}

int TestObject::read_generic(tld_test_ctx *ctx) const
{
	*ctx = {};
	for (const char *name : {"read_generic_A", "read_generic_B", "read_generic_C"}) {
		int err = run(prog_fd(name), ctx);
		if (err)
			return err;
	}
	return 0;
}

} // namespace tld::test
