/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the test BPF programs (tld_test.bpf.c) report back through their syscall context.
 * Shared by BPF C and the C++ tests.
 */
#ifndef TLD_TEST_H
#define TLD_TEST_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

/* Generic keys "k00".."k62", each read with TLD_TEST_GENERIC_SIZE bytes. */
#define TLD_TEST_GENERIC_KEYS 63
#define TLD_TEST_GENERIC_SIZE 8
/* The named keys: "k_int1" (int), "k_int2" (int), "k_blob" (32 bytes), and the longest name
 * allowed (61 characters) read as 8 bytes. */
#define TLD_TEST_BLOB_SIZE 32
#define TLD_TEST_LONG_NAME "k_long_name_that_uses_every_one_of_the_sixty_one_characters__"

struct tld_test_read {
	__s32 found;    /* tld_get_data() returned a pointer */
	__u32 off;      /* that pointer minus the data page base */
	__u64 value[4]; /* the first min(size, 32) bytes it points to */
};

struct tld_test_ctx {
	__s32 init_err; /* tld_object_init() */
	__u32 tid;      /* the task the program ran for */
	struct tld_test_read int1, int2, blob, longest;
	struct tld_test_read keys[TLD_TEST_GENERIC_KEYS];
};

/*
 * X-macros over the generic keys' two-digit suffixes, in three groups: one program per group
 * keeps each program small: one 63-key program (8k instructions) once failed to JIT on x86
 * ("unexpected jmp_cond padding"), an x86 JIT corner unrelated to what is tested here.
 */
// clang-format cannot settle on a layout for these lists.
// clang-format off
#define TLD_TEST_KEYS_A(X) \
	X(00) X(01) X(02) X(03) X(04) X(05) X(06) X(07) X(08) X(09) X(10) \
	X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20)
#define TLD_TEST_KEYS_B(X) \
	X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31) \
	X(32) X(33) X(34) X(35) X(36) X(37) X(38) X(39) X(40) X(41)
#define TLD_TEST_KEYS_C(X) \
	X(42) X(43) X(44) X(45) X(46) X(47) X(48) X(49) X(50) X(51) X(52) \
	X(53) X(54) X(55) X(56) X(57) X(58) X(59) X(60) X(61) X(62)
// clang-format on
#define TLD_TEST_KEYS(X) TLD_TEST_KEYS_A(X) TLD_TEST_KEYS_B(X) TLD_TEST_KEYS_C(X)

#endif /* TLD_TEST_H */
