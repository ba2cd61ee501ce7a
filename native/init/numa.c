/* Where the process runs and takes its memory from: CPU affinity, the NUMA memory policy. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

/* ints: the CPUs to run on */
int op_cpu_affinity(struct init_ctx *ctx, const struct op *op)
{
	int64_t highest = 0;
	for (uint32_t i = 0; i < op->n_ints; i++)
		if (op_int(op, i) > highest)
			highest = op_int(op, i);
	cpu_set_t *set = CPU_ALLOC((int)highest + 1);
	if (!set)
		return -1;
	size_t size = CPU_ALLOC_SIZE((int)highest + 1);
	CPU_ZERO_S(size, set);
	for (uint32_t i = 0; i < op->n_ints; i++)
		CPU_SET_S((int)op_int(op, i), size, set);
	int rc = sched_setaffinity(0, size, set);
	int saved = errno;
	CPU_FREE(set);
	if (rc < 0)
		snprintf(ctx->detail, sizeof(ctx->detail), "sched_setaffinity%s",
			 saved == EINVAL ? ": none of these CPUs is online and in the container's cpuset" : "");
	return errno = saved, rc;
}

/* ints: mode (with its flags), then the nodes */
int op_memory_policy(struct init_ctx *ctx, const struct op *op)
{
	enum { BITS = 8 * sizeof(unsigned long) };
	int64_t highest = -1;
	for (uint32_t i = 1; i < op->n_ints; i++)
		if (op_int(op, i) > highest)
			highest = op_int(op, i);
	size_t words = highest < 0 ? 0 : (size_t)highest / BITS + 1;
	unsigned long *mask = words ? calloc(words, sizeof(unsigned long)) : NULL;
	if (words && !mask)
		return -1;
	for (uint32_t i = 1; i < op->n_ints; i++) {
		uint64_t node = (uint64_t)op_int(op, i);
		mask[node / BITS] |= 1UL << (node % BITS);
	}
	/* The kernel reads maxnode - 1 bits of the mask. */
	long rc = syscall(SYS_set_mempolicy, (int)op_int(op, 0), mask, words ? words * BITS + 1 : 0);
	int saved = errno;
	free(mask);
	if (rc < 0)
		snprintf(ctx->detail, sizeof(ctx->detail), "set_mempolicy(%#llx)", (unsigned long long)op_int(op, 0));
	return errno = saved, rc < 0 ? -1 : 0;
}
