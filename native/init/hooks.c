/*
 * Hooks that must run inside the container's namespaces (createContainer, startContainer): the
 * init runs them itself, with the container state on stdin, and waits, within a timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

/* ints: argc, envc, timeout in seconds (0: none)   strs: path, argv..., env..., state JSON */
int op_run_hook(struct init_ctx *ctx, const struct op *op)
{
	uint32_t argc = (uint32_t)op_int(op, 0), envc = (uint32_t)op_int(op, 1);
	int64_t timeout = op_int(op, 2);
	if (1 + argc + envc + 1 != op->n_strs)
		return errno = EINVAL, -1;
	const char *path = op->strs[0], *state = op->strs[1 + argc + envc];
	char *argv[argc + 1], *envp[envc + 1];
	for (uint32_t i = 0; i < argc; i++)
		argv[i] = (char *)op->strs[1 + i];
	for (uint32_t i = 0; i < envc; i++)
		envp[i] = (char *)op->strs[1 + argc + i];
	argv[argc] = envp[envc] = NULL;

	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[0], 0);
		syscall(436 /* close_range */, 3, ~0U, 0);
		execve(path, argv, envp);
		_exit(127);
	}
	close(fds[0]);
	/* The state is compiled without a pid (keel cannot know it then); the pid is this process's
	 * as the hook, in the container's namespaces, sees it (1 in a new PID namespace), as runc
	 * reports it: the state JSON ends with '}', and ,"pid":N goes in before it. */
	size_t len = op->str_lens[1 + argc + envc];
	if (len > 0 && state[len - 1] == '}') {
		char tail[32];
		int n = snprintf(tail, sizeof(tail), ",\"pid\":%d}", (int)getpid());
		(void)!write(fds[1], state, len - 1);
		(void)!write(fds[1], tail, (size_t)n);
	} else {
		(void)!write(fds[1], state, len);
	}
	close(fds[1]);

	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int status;
	for (int64_t waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (timeout > 0 && waited >= timeout * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(ctx->detail, sizeof(ctx->detail), "%.150s did not finish within %lld s", path, (long long)timeout);
			return errno = ETIMEDOUT, -1;
		}
		nanosleep(&tick, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(ctx->detail, sizeof(ctx->detail), "%.150s exited with status %d%s", path, WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (could it be run?)" : "");
	else
		snprintf(ctx->detail, sizeof(ctx->detail), "%.150s was killed by signal %d", path, WTERMSIG(status));
	return errno = ECANCELED, -1;
}
