/* Messages to and from keel over the SOCK_SEQPACKET pair (one message per send). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"

int sync_send(struct init_ctx *ctx, int type, int op_index, int err, int value, const char *detail)
{
	struct keel_msg msg = { .type = type, .op_index = op_index, .err = err, .value = value };
	if (detail)
		strncpy(msg.detail, detail, sizeof(msg.detail) - 1);
	/* MSG_NOSIGNAL: keel may be gone (create has exited), which must not kill us with SIGPIPE. */
	return send(ctx->sync_fd, &msg, sizeof(msg), MSG_NOSIGNAL) == sizeof(msg) ? 0 : -1;
}

/*
 * Waits for keel to send `type` and returns the message's value. Anything else, or keel's end
 * closing, means keel gave up on us.
 */
int sync_wait_for(struct init_ctx *ctx, int type)
{
	struct keel_msg msg;
	ssize_t n;
	do
		n = recv(ctx->sync_fd, &msg, sizeof(msg), 0);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(msg) || msg.type != type)
		_exit(1);
	return msg.value;
}

/* Waits for keel's answer to a MSG_SYNC. */
int sync_wait_continue(struct init_ctx *ctx)
{
	sync_wait_for(ctx, MSG_CONTINUE);
	return 0;
}
