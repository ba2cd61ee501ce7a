/* Decodes the plan buffer (format in keel-plan.h). Strings point into the buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"

int64_t op_int(const struct op *op, uint32_t i)
{
	int64_t v = 0;
	if (i < op->n_ints)
		memcpy(&v, op->ints + (size_t)i * 8, 8);
	return v;
}

/* Each string takes its u32 length and a NUL at least: a count above what is left is malformed. */
#define STR_MIN_BYTES 5

static int take_u32(const unsigned char *buf, size_t len, size_t *pos, uint32_t *out)
{
	if (len - *pos < 4)
		return -1;
	memcpy(out, buf + *pos, 4);
	*pos += 4;
	return 0;
}

int plan_decode(const unsigned char *buf, size_t len, struct op **ops_out, uint32_t *count_out)
{
	size_t pos = 8;
	uint32_t version, count;

	if (len < 16 || memcmp(buf, KEEL_PLAN_MAGIC, 8) != 0)
		return errno = EINVAL, -1;
	take_u32(buf, len, &pos, &version);
	take_u32(buf, len, &pos, &count);
	if (version != KEEL_PLAN_VERSION)
		return errno = EPROTO, -1;

	struct op *ops = calloc(count ? count : 1, sizeof(*ops));
	if (!ops)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		struct op *op = &ops[i];
		if (take_u32(buf, len, &pos, &op->code) || take_u32(buf, len, &pos, &op->n_ints) ||
		    take_u32(buf, len, &pos, &op->n_strs) || op->n_strs > (len - pos) / STR_MIN_BYTES ||
		    (len - pos) / 8 < op->n_ints)
			return errno = EINVAL, -1;
		op->ints = buf + pos;
		pos += (size_t)op->n_ints * 8;
		op->strs = calloc(op->n_strs + 1, sizeof(char *));
		op->str_lens = calloc(op->n_strs + 1, sizeof(uint32_t));
		if (!op->strs || !op->str_lens)
			return -1;
		for (uint32_t s = 0; s < op->n_strs; s++) {
			uint32_t n;
			if (take_u32(buf, len, &pos, &n) || len - pos < (size_t)n + 1 || buf[pos + n] != 0)
				return errno = EINVAL, -1;
			op->strs[s] = (const char *)buf + pos;
			((uint32_t *)op->str_lens)[s] = n;
			pos += (size_t)n + 1;
		}
	}
	*ops_out = ops;
	*count_out = count;
	return 0;
}
