/* Finding the user's program, waiting for `keel start`, and becoming the program. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init.h"

static int executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode))
		return errno = EISDIR, -1;
	return access(path, X_OK);
}

/* Done before waiting for start, so that `create` fails when the program is missing. */
int op_resolve_exec(struct init_ctx *ctx, const struct op *op)
{
	const char *name = op->strs[0], *search = op->strs[1];
	if (strchr(name, '/')) {
		snprintf(ctx->exec_path, sizeof(ctx->exec_path), "%s", name);
		return executable(name);
	}
	int first_error = ENOENT;
	while (*search) {
		const char *end = strchrnul(search, ':');
		int dir_len = (int)(end - search);
		snprintf(ctx->exec_path, sizeof(ctx->exec_path), "%.*s/%s", dir_len, dir_len ? search : ".",
			 name);
		if (executable(ctx->exec_path) == 0)
			return 0;
		if (errno != ENOENT && errno != ENOTDIR && first_error == ENOENT)
			first_error = errno;
		search = *end ? end + 1 : end;
	}
	snprintf(ctx->detail, sizeof(ctx->detail), "\"%s\" not found in $PATH (%s)", name, op->strs[1]);
	return errno = first_error, -1;
}

int op_wait_start(struct init_ctx *ctx, const struct op *op)
{
	int fd = (int)op_int(op, 0);
	char byte;
	ssize_t n;
	if (sync_send(ctx, MSG_READY, -1, 0, 0, NULL) < 0)
		return -1;
	/*
	 * Until keel has written the init's pid to state.json, nothing could ever find and kill this
	 * process: if keel dies first (the socket closes without MSG_COMMIT), the init exits.
	 */
	sync_wait_for(ctx, MSG_COMMIT);
	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		close(fd);
		return errno = n == 0 ? EPIPE : errno, -1;
	}
	/* Kept until execve closes it: a failure before then (a startContainer hook, the exec) writes
	 * 'F' to it on the way out (fail() in main.c), which tells `keel start` the program never ran. */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	ctx->fifo_fd = fd;
	ctx->started = true;
	return 0;
}

int op_exec(struct init_ctx *ctx, const struct op *op)
{
	uint32_t argc = (uint32_t)op_int(op, 0), envc = (uint32_t)op_int(op, 1);
	unsigned first_fd = (unsigned)op_int(op, 2);
	if (argc + envc > op->n_strs)
		return errno = EINVAL, -1;
	char *argv[argc + 1], *envp[envc + 1];
	for (uint32_t i = 0; i < argc; i++)
		argv[i] = (char *)op->strs[i];
	for (uint32_t i = 0; i < envc; i++)
		envp[i] = (char *)op->strs[argc + i];
	argv[argc] = envp[envc] = NULL;
	/* Every fd keel did not hand to the container closes at exec (a leaked host fd is an escape). */
	if (syscall(436 /* close_range */, first_fd, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) < 0)
		return -1;
	/* keel exec waits for this: the sync socket closing after it means execve succeeded. */
	sync_send(ctx, MSG_EXECUTING, -1, 0, 0, NULL);
	execve(ctx->exec_path, argv, envp);
	int err = errno;
	/*
	 * After `start` nobody reads the sync socket (keel start has returned, or keel run only waits
	 * for the exit): without this line a program that cannot run (a bad format, a #! interpreter
	 * that is missing) would just exit 1. It goes to the container's stderr, as runc's does.
	 * keel exec still listens, and says it itself.
	 */
	if (ctx->started) {
		char reason[128];
		snprintf(reason, sizeof(reason), "%s", strerror(err));
		reason[0] = (char)tolower((unsigned char)reason[0]);
		dprintf(STDERR_FILENO, "keel: exec \"%s\": %s\n", ctx->exec_path, reason);
	}
	return errno = err, -1;
}
