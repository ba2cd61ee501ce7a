/*
 * Hooks that must run inside the container's namespaces (createContainer, startContainer): the
 * init runs them itself, with the container state on stdin, and waits, within a timeout. The
 * rules are those of keel's own hooks (src/hooks/run.ts): stdout and stderr are captured and
 * quoted when the hook fails; the state is written without blocking (a hook need not read it);
 * once the hook has exited, a process it left behind holding its output is not waited for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

/* As src/hooks/run.ts: OUTPUT_GRACE_MS, and how much of each stream is kept for the error. */
#define OUTPUT_GRACE_MS 200
#define KEPT_OUTPUT 512

struct captured {
	int fd; /* read end, -1 once at end of file or abandoned */
	char buf[KEPT_OUTPUT];
	size_t len; /* the last KEPT_OUTPUT bytes the hook wrote */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Reads what is there without blocking, keeping the tail; closes the fd at end of file. */
static void drain(struct captured *c)
{
	char chunk[4096];
	while (c->fd >= 0) {
		ssize_t n = read(c->fd, chunk, sizeof(chunk));
		if (n == 0) {
			closep(&c->fd);
		} else if (n < 0) {
			if (errno != EINTR)
				return; /* EAGAIN: nothing more for now */
		} else {
			size_t keep = (size_t)n < KEPT_OUTPUT ? (size_t)n : KEPT_OUTPUT;
			if (c->len + keep > KEPT_OUTPUT) {
				size_t drop = c->len + keep - KEPT_OUTPUT;
				memmove(c->buf, c->buf + drop, c->len - drop);
				c->len -= drop;
			}
			memcpy(c->buf + c->len, chunk + (size_t)n - keep, keep);
			c->len += keep;
		}
	}
}

/* Appends `, name: "tail"` to detail (as JSON quotes it: one line), as much as fits. */
static void quote_output(char *detail, size_t size, const char *name, const struct captured *c)
{
	size_t len = c->len;
	while (len > 0 && (c->buf[len - 1] == '\n' || c->buf[len - 1] == ' ' || c->buf[len - 1] == '\r' || c->buf[len - 1] == '\t'))
		len--;
	if (len == 0)
		return;
	size_t used = strlen(detail);
	if (used + strlen(name) + 16 >= size)
		return;
	used += (size_t)snprintf(detail + used, size - used, ", %s: \"", name);
	/* The end of the output says most (the error a hook ends with): keep what fits, escapes
	 * taking up to two bytes each, leaving room for stderr after stdout. */
	size_t room = (size - used - 5) / 2, start = len > room ? len - room : 0;
	if (start > 0)
		used += (size_t)snprintf(detail + used, size - used, "...");
	for (size_t i = start; i < len && used + 3 < size - 1; i++) {
		unsigned char ch = (unsigned char)c->buf[i];
		if (ch == '\n' || ch == '"' || ch == '\\') {
			detail[used++] = '\\';
			detail[used++] = ch == '\n' ? 'n' : (char)ch;
		} else {
			detail[used++] = ch < 0x20 ? ' ' : (char)ch;
		}
	}
	if (used < size - 1)
		detail[used++] = '"';
	detail[used] = '\0';
}

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

	/* The state is compiled without a pid (keel cannot know it then); the pid is this process's
	 * as the hook, in the container's namespaces, sees it (1 in a new PID namespace), as runc
	 * reports it: the state JSON ends with '}', and ,"pid":N goes in before it. */
	size_t len = op->str_lens[1 + argc + envc];
	char *input = malloc(len + 32); /* the state may be large (annotations): not on the stack */
	if (!input)
		return step_failed(ctx, "malloc %zu bytes for the state", len + 32);
	if (len > 0 && state[len - 1] == '}') {
		memcpy(input, state, len - 1);
		len = len - 1 + (size_t)snprintf(input + len - 1, 32, ",\"pid\":%d}", (int)getpid());
	} else {
		memcpy(input, state, len);
	}

	/* (On failure, the fds and memory go with this process: keel-init ends on any op's failure.) */
	int in[2], out[2], err[2];
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return step_failed(ctx, "pipe2");
	/* A hook that exits without reading its stdin must not kill this process with SIGPIPE. */
	struct sigaction ignore = { .sa_handler = SIG_IGN }, saved;
	sigaction(SIGPIPE, &ignore, &saved);
	pid_t pid = fork();
	if (pid < 0) {
		sigaction(SIGPIPE, &saved, NULL);
		return step_failed(ctx, "fork");
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		syscall(436 /* close_range */, 3, ~0U, 0);
		execve(path, argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	int to_hook = in[1];
	struct captured cap[2] = { { .fd = out[0] }, { .fd = err[0] } };
	fcntl(to_hook, F_SETFL, O_NONBLOCK);
	fcntl(cap[0].fd, F_SETFL, O_NONBLOCK);
	fcntl(cap[1].fd, F_SETFL, O_NONBLOCK);

	size_t written = 0;
	int status = 0;
	bool exited = false, timed_out = false;
	int wait_err = 0;
	int64_t start = now_ms(), exited_at = 0;
	for (;;) {
		if (!exited) {
			pid_t r = waitpid(pid, &status, WNOHANG);
			if (r == pid) {
				exited = true;
				exited_at = now_ms();
				closep(&to_hook);
			} else if (r < 0 && errno != EINTR) {
				wait_err = errno;
				step_failed(ctx, "waitpid");
				break;
			}
		}
		drain(&cap[0]);
		drain(&cap[1]);
		if (exited && cap[0].fd < 0 && cap[1].fd < 0)
			break;
		if (exited && now_ms() - exited_at >= OUTPUT_GRACE_MS) {
			char warning[320];
			int n = snprintf(warning, sizeof(warning),
					 "keel: warning: hook %.150s exited, but a process it started still holds its stdout or stderr open: keel stopped reading it after %d ms\n",
					 path, OUTPUT_GRACE_MS);
			if (n > 0)
				(void)!write(2, warning, (size_t)n < sizeof(warning) ? (size_t)n : sizeof(warning) - 1);
			break;
		}
		if (!exited && timeout > 0 && now_ms() - start >= timeout * 1000) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			drain(&cap[0]);
			drain(&cap[1]);
			timed_out = true;
			break;
		}
		if (to_hook >= 0 && written < len) {
			ssize_t n = write(to_hook, input + written, len - written);
			if (n > 0)
				written += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				closep(&to_hook); /* EPIPE: the hook closed its stdin; it need not read it */
		}
		if (to_hook >= 0 && written == len)
			closep(&to_hook);
		struct pollfd fds[3] = { { .fd = cap[0].fd, .events = POLLIN }, { .fd = cap[1].fd, .events = POLLIN }, { .fd = to_hook, .events = POLLOUT } };
		poll(fds, 3, 10); /* a negative fd is skipped; the 10 ms also bound the waitpid polling */
	}
	closep(&to_hook);
	closep(&cap[0].fd);
	closep(&cap[1].fd);
	sigaction(SIGPIPE, &saved, NULL);
	free(input);

	if (timed_out)
		snprintf(ctx->detail, sizeof(ctx->detail), "%.150s did not finish within %lld s", path, (long long)timeout);
	else if (!exited)
		return errno = wait_err, -1; /* waitpid failed: step_failed named it */
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	else if (WIFEXITED(status))
		snprintf(ctx->detail, sizeof(ctx->detail), "%.150s exited with status %d%s", path, WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (could it be run?)" : "");
	else
		snprintf(ctx->detail, sizeof(ctx->detail), "%.150s was killed by signal %d", path, WTERMSIG(status));
	quote_output(ctx->detail, sizeof(ctx->detail), "stdout", &cap[0]);
	quote_output(ctx->detail, sizeof(ctx->detail), "stderr", &cap[1]);
	return errno = timed_out ? ETIMEDOUT : ECANCELED, -1;
}
