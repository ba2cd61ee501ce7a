/* Naming the step of an op that failed: keel's message reads "<the op>: <the step>: <errno's words>". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "init.h"

int step_failed(struct init_ctx *ctx, const char *fmt, ...)
{
	int saved = errno;
	/* The innermost step names the call; a caller's own name for it would only be vaguer. */
	if (!ctx->detail[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ctx->detail, sizeof(ctx->detail), fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return -1;
}
