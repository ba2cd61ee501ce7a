/* Finding the user's program, waiting for `keel start`, and becoming the program. */
#define _GNU_SOURCE
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
	ctx->keel_listens = sync_wait_for(ctx, MSG_COMMIT) == 1;
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

/*
 * The last step that may need any syscall: every fd keel did not hand to the container becomes
 * close-on-exec (a leaked host fd is an escape: CVE-2024-21626's class), and keel learns that
 * only the privilege steps and execve remain. It runs before the seccomp filter is installed, so a
 * profile that denies close_range or sendto (most allow lists written before Linux 5.9 do not
 * name close_range) cannot stop the container here. Marked, not closed: keel-init still needs
 * the sync socket to report a failure of the steps after this one.
 */
int op_prepare_exec(struct init_ctx *ctx, const struct op *op)
{
	unsigned first_fd = (unsigned)op_int(op, 0);
	if (syscall(436 /* close_range */, first_fd, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "close_range(%u, ~0, CLOSE_RANGE_CLOEXEC)", first_fd);
		return -1;
	}
	/*
	 * keel exec waits for this: the sync socket closing after it means execve succeeded. Before
	 * `start` (exec has none) keel must be there to hear it: if it is gone, so is whoever asked
	 * for the program, and it does not run. After `start` keel may well have left (create).
	 */
	if (sync_send(ctx, MSG_EXECUTING, -1, 0, 0, NULL) < 0 && !ctx->started) {
		snprintf(ctx->detail, sizeof(ctx->detail), "keel is gone: tell it that exec is near");
		return -1;
	}
	return 0;
}

/* Only execve: whatever else the process needs was done before the seccomp filter went in. */
int op_exec(struct init_ctx *ctx, const struct op *op)
{
	uint32_t argc = (uint32_t)op_int(op, 0), envc = (uint32_t)op_int(op, 1);
	if (argc + envc > op->n_strs)
		return errno = EINVAL, -1;
	char *argv[argc + 1], *envp[envc + 1];
	for (uint32_t i = 0; i < argc; i++)
		argv[i] = (char *)op->strs[i];
	for (uint32_t i = 0; i < envc; i++)
		envp[i] = (char *)op->strs[argc + i];
	argv[argc] = envp[envc] = NULL;
	execve(ctx->exec_path, argv, envp);
	/* main.c's report names the program: `keel: exec "/bin/garb": exec format error`. */
	snprintf(ctx->detail, sizeof(ctx->detail), "exec \"%.200s\"", ctx->exec_path);
	return -1;
}
