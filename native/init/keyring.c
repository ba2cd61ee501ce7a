/*
 * A session keyring of the container's own, as runc and crun give each container: without it the
 * container would possess the caller's session keyring, and every key in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

#define KEYCTL_SETPERM 5
#define KEYCTL_DESCRIBE 6
#define KEYCTL_JOIN_SESSION_KEYRING 1

/* Joins (or creates) the session keyring strs[0]; ints[0]: permission bits to add to it (0: none). */
int op_session_keyring(struct init_ctx *ctx, const struct op *op)
{
	long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, op->strs[0], 0, 0, 0);
	if (id < 0) {
		/* A kernel without keys has no keyring to leak: go on, as runc and crun do. */
		if (errno == ENOSYS)
			return 0;
		snprintf(ctx->detail, sizeof(ctx->detail), "keyctl(KEYCTL_JOIN_SESSION_KEYRING, \"%.100s\")", op->strs[0]);
		return -1;
	}
	unsigned long add = (unsigned long)op_int(op, 0);
	if (!add)
		return 0;
	/* "type;uid;gid;perm;description", perm in hex: keep the kernel's, add search for the container. */
	char desc[512];
	long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof(desc) - 1, 0);
	if (n < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "keyctl(KEYCTL_DESCRIBE) of the new session keyring");
		return -1;
	}
	desc[n < (long)sizeof(desc) ? n : (long)sizeof(desc) - 1] = '\0';
	const char *perm = desc;
	for (int field = 0; field < 3 && perm; field++) {
		perm = strchr(perm, ';');
		if (perm)
			perm++;
	}
	if (!perm) {
		snprintf(ctx->detail, sizeof(ctx->detail), "keyctl(KEYCTL_DESCRIBE) gave no permissions: \"%.100s\"", desc);
		return errno = EPROTO, -1;
	}
	unsigned long bits = strtoul(perm, NULL, 16) | add;
	if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, bits, 0, 0) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "keyctl(KEYCTL_SETPERM, %#lx) of the new session keyring", bits);
		return -1;
	}
	return 0;
}
