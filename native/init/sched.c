/* Scheduling: CPU policy (sched_setattr), I/O priority (ioprio_set) and the execution domain. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

/* struct sched_attr, SCHED_ATTR_SIZE_VER0: glibc has no wrapper and this static build wants no
 * kernel-header dependency beyond the syscall numbers. */
struct keel_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

/* Runs while keel-init still holds its capabilities: SCHED_FIFO/RR and a negative nice need
 * CAP_SYS_NICE, which the container's own sets may not include. */
int op_scheduler(struct init_ctx *ctx, const struct op *op)
{
	struct keel_sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = (uint32_t)op_int(op, 0),
		.sched_flags = (uint64_t)op_int(op, 1),
		.sched_nice = (int32_t)op_int(op, 2),
		.sched_priority = (uint32_t)op_int(op, 3),
		.sched_runtime = (uint64_t)op_int(op, 4),
		.sched_deadline = (uint64_t)op_int(op, 5),
		.sched_period = (uint64_t)op_int(op, 6),
	};
	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) {
		int err = errno;
		errno = err;
		if (err == EPERM || err == EBUSY)
			return step_failed(ctx, "sched_setattr (a realtime policy needs realtime CPU time in the cgroup: set linux.resources.cpu.realtimeRuntime)");
		return step_failed(ctx, "sched_setattr");
	}
	return 0;
}

#define IOPRIO_WHO_PROCESS 1

int op_ioprio(struct init_ctx *ctx, const struct op *op)
{
	(void)ctx;
	return syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (int)op_int(op, 0)) < 0 ? -1 : 0;
}

int op_personality(struct init_ctx *ctx, const struct op *op)
{
	(void)ctx;
	/* personality() returns the previous persona; only -1 is a failure. */
	return personality((unsigned long)op_int(op, 0)) == -1 ? -1 : 0;
}
