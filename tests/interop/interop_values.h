/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The values interop_app's thread `idx` of process `pid` stores in generation `gen`; the tests
 * compute the same to check what the readers report. */
#ifndef TLD_TEST_INTEROP_VALUES_H
#define TLD_TEST_INTEROP_VALUES_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct interop_values {
	uint8_t flag;
	uint32_t prio;
	uint64_t budget;
	char tag[16];
};

static inline void interop_values_fill(int pid, int idx, int gen, struct interop_values *v)
{
	memset(v, 0, sizeof(*v));
	v->flag = (uint8_t)((idx + gen) % 2);
	v->prio = (uint32_t)(gen * 1000 + idx + 1);
	v->budget = (uint64_t)(uint32_t)pid << 32 | (uint64_t)gen << 16 | (uint64_t)idx;
	snprintf(v->tag, sizeof(v->tag), "t%d.%d.%d", pid % 100000, gen, idx);
}

#endif
