// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tld.bpf.h loads in every flavour, and a consumer can adopt tldd's pinned tld_data_map.
#include <gtest/gtest.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "bpffs.h"
#include "manual_pages.h"
#include "test_object.h"
#include "tld_maps.skel.h"

namespace tld::test {
namespace {

class LoadTest : public ::testing::TestWithParam<const Flavour *> {};

// SEC("syscall") programs may call bpf_get_current_task_btf() and bpf_task_storage_get() in
// this kernel (syscall programs get the tracing helper set); loading proves it, and an
// unregistered thread reads as -ENOENT rather than failing the run.
TEST_P(LoadTest, LoadsAndReportsUnregisteredThread)
{
	std::string error;
	auto obj = TestObject::load(*GetParam(), &error);
	ASSERT_TRUE(obj) << error;

	tld_test_ctx ctx;
	ASSERT_EQ(obj->read_named(&ctx), 0) << take_libbpf_log();
	EXPECT_EQ(ctx.init_err, -ENOENT);
	EXPECT_EQ(ctx.tid, static_cast<__u32>(gettid()));
	EXPECT_FALSE(ctx.int1.found);
	ASSERT_EQ(obj->read_named_cache(&ctx), 0) << take_libbpf_log();
	EXPECT_EQ(ctx.init_err, -ENOENT);
	ASSERT_EQ(obj->read_named_value(&ctx), 0) << take_libbpf_log();
	EXPECT_EQ(ctx.init_err, -ENOENT); // a NULL map value
	EXPECT_FALSE(ctx.int1.found);
}

// A consumer declares tld_data_map exactly like tldd's object, so bpf_map__reuse_fd() accepts
// tldd's pinned map (libbpf compares type, key, value, flags), and what a thread registers in
// the pinned map is what the consumer reads.
TEST_P(LoadTest, ReusesPinnedDataMap)
{
	BpffsMount bpffs;
	ASSERT_TRUE(bpffs.ok());

	tld_maps *maps = tld_maps__open_and_load();
	ASSERT_TRUE(maps) << "tld_maps: " << take_libbpf_log();
	std::string pin = bpffs.path() + "/tld_data_map";
	int err = bpf_map__pin(maps->maps.tld_data_map, pin.c_str());
	tld_maps__destroy(maps); // the pin keeps the map
	ASSERT_EQ(err, 0) << "pin " << pin << ": " << std::strerror(-err);

	Fd pinned(bpf_obj_get(pin.c_str()));
	ASSERT_TRUE(pinned.valid()) << "bpf_obj_get: " << std::strerror(errno);

	std::string error;
	auto obj = TestObject::load(*GetParam(), &error, pinned.get());
	ASSERT_TRUE(obj) << error;

	Page meta, data;
	set_key(meta.meta(), 0, "k_int1", sizeof(int));
	meta.meta()->cnt = 1;
	meta.meta()->size = 8;
	int value = 4242;
	std::memcpy(data.bytes() + 64, &value, sizeof(value));

	Registration reg(pinned.get());
	ASSERT_TRUE(reg.ok()) << reg.error();
	ASSERT_EQ(reg.update(meta, data, 64), 0);

	auto expect_int1_only = [&](const tld_test_ctx &ctx) {
		ASSERT_EQ(ctx.init_err, 0);
		ASSERT_TRUE(ctx.int1.found);
		EXPECT_EQ(ctx.int1.off, 64u);
		EXPECT_EQ(static_cast<int>(ctx.int1.value[0]), value);
		EXPECT_FALSE(ctx.int2.found);
	};
	tld_test_ctx ctx;
	ASSERT_EQ(obj->read_named(&ctx), 0);
	expect_int1_only(ctx);
	// The same through tld_object_init_value(), with the pinned map's value passed in.
	ASSERT_EQ(obj->read_named_value(&ctx), 0);
	expect_int1_only(ctx);
}

INSTANTIATE_TEST_SUITE_P(Flavours, LoadTest,
                         ::testing::Values(&kFlavours[0], &kFlavours[1], &kFlavours[2]),
                         [](const auto &p) { return std::string(p.param->name); });

} // namespace
} // namespace tld::test
