/* containerd's shim rules (runtime/v2/shim/util_unix.go SocketAddress, runc's manager's grouping). */
#include "shim-rules.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-scan.h"
#include "sha256.h"

char *go_path_join(const char *const *elems, size_t n)
{
	size_t total = 1;
	for (size_t i = 0; i < n; i++) total += strlen(elems[i]) + 1;
	char *joined = malloc(total), *out = malloc(total + 1);
	if (!joined || !out) {
		free(joined);
		free(out);
		return NULL;
	}
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (!*elems[i])
			continue;
		if (len)
			joined[len++] = '/';
		memcpy(joined + len, elems[i], strlen(elems[i]));
		len += strlen(elems[i]);
	}
	joined[len] = '\0';
	if (!len) {
		/* Join of nothing but empty elements is "", not Clean's ".". */
		free(joined);
		out[0] = '\0';
		return out;
	}
	/*
	 * Clean: one '/' between elements, no "." elements, each ".." removed with the element before
	 * it ("/.." at the root is "/"; a relative path keeps its leading ".."s), no trailing '/',
	 * and "." for what is left empty.
	 */
	int rooted = joined[0] == '/';
	size_t o = 0, floor = 0; /* floor: where ".." can no longer go back past */
	if (rooted)
		out[o++] = '/', floor = 1;
	for (size_t r = 0; r < len;) {
		if (joined[r] == '/') {
			r++;
		} else if (joined[r] == '.' && (r + 1 == len || joined[r + 1] == '/')) {
			r++;
		} else if (joined[r] == '.' && joined[r + 1] == '.' && (r + 2 == len || joined[r + 2] == '/')) {
			r += 2;
			if (o > floor) {
				/* Back over the last element. */
				o--;
				while (o > floor && out[o] != '/') o--;
			} else if (!rooted) {
				if (o)
					out[o++] = '/';
				out[o++] = '.', out[o++] = '.';
				floor = o;
			}
		} else {
			if ((rooted && o != 1) || (!rooted && o))
				out[o++] = '/';
			while (r < len && joined[r] != '/') out[o++] = joined[r++];
		}
	}
	if (!o)
		out[o++] = '.';
	out[o] = '\0';
	free(joined);
	return out;
}

int shim_socket_address(const char *containerd_address, const char *ns, const char *group, char out[SHIM_ADDRESS_SIZE])
{
	const char *elems[] = { containerd_address, ns, group };
	char *path = go_path_join(elems, 3), hex[65];
	if (!path)
		return 0;
	sha256_hex(path, strlen(path), hex);
	free(path);
	snprintf(out, SHIM_ADDRESS_SIZE, "unix://" SHIM_SOCKET_DIR "/%s", hex);
	return 1;
}

int shim_group(const char *config, size_t len, const char *id, char **group, char *error, size_t error_size)
{
	static const char *const keys[] = { "io.containerd.runc.v2.group", "io.kubernetes.cri.sandbox-id" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *path[] = { "annotations", keys[i] };
		struct json_result r;
		json_string_at(config, len, path, 2, &r);
		if (r.found == JSON_MALFORMED) {
			snprintf(error, error_size, "config.json is not JSON: %s", r.error);
			return 0;
		}
		if (r.found == JSON_NOT_STRING) {
			snprintf(error, error_size, "config.json: annotations.%s is not a string", keys[i]);
			return 0;
		}
		if (r.found == JSON_STRING && r.value_len) {
			if (strlen(r.value) != r.value_len) {
				free(r.value);
				snprintf(error, error_size, "config.json: annotations.%s holds a NUL character", keys[i]);
				return 0;
			}
			*group = r.value;
			return 1;
		}
		free(r.value);
	}
	*group = strdup(id);
	if (!*group)
		snprintf(error, error_size, "out of memory");
	return *group != NULL;
}

/* A protobuf reader over [p, end): just enough for two messages of length-delimited fields. */
struct pb {
	const unsigned char *p, *end;
};

static int pb_varint(struct pb *b, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (b->p >= b->end)
			return 0;
		unsigned char c = *b->p++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 1;
	}
	return 0;
}

/*
 * The next field: its number, and for a length-delimited one its bytes. Fields of other wire
 * types are stepped over. 0 at the end, -1 when truncated or malformed.
 */
static int pb_field(struct pb *b, uint64_t *number, const unsigned char **data, size_t *len)
{
	uint64_t key, v;
	for (;;) {
		if (b->p == b->end)
			return 0;
		if (!pb_varint(b, &key))
			return -1;
		*number = key >> 3;
		switch (key & 7) {
		case 0:
			if (!pb_varint(b, &v))
				return -1;
			continue;
		case 1:
			if (b->end - b->p < 8)
				return -1;
			b->p += 8;
			continue;
		case 5:
			if (b->end - b->p < 4)
				return -1;
			b->p += 4;
			continue;
		case 2:
			if (!pb_varint(b, &v) || v > (uint64_t)(b->end - b->p))
				return -1;
			*data = b->p, *len = (size_t)v;
			b->p += v;
			return 1;
		default: return -1;
		}
	}
}

int shim_options_config_path(const unsigned char *any, size_t len, char **path, char *error, size_t error_size)
{
	static const char type[] = "runtimeoptions.v1.Options";
	struct pb b = { any, any + len };
	const unsigned char *type_url = NULL, *value = NULL, *data;
	size_t type_url_len = 0, value_len = 0, n;
	uint64_t field;
	int got;
	*path = NULL;
	while ((got = pb_field(&b, &field, &data, &n)) > 0) {
		if (field == 1)
			type_url = data, type_url_len = n;
		else if (field == 2)
			value = data, value_len = n;
	}
	if (got < 0)
		goto malformed;
	/* A type URL is the type's name, possibly after a host and '/' (type.googleapis.com/...). */
	if (!type_url || type_url_len < sizeof(type) - 1 || memcmp(type_url + type_url_len - (sizeof(type) - 1), type, sizeof(type) - 1))
		return 1;
	if (type_url_len > sizeof(type) - 1 && type_url[type_url_len - sizeof(type)] != '/')
		return 1;
	const unsigned char *config_path = NULL;
	size_t config_path_len = 0;
	b = (struct pb){ value, value + value_len };
	while ((got = pb_field(&b, &field, &data, &n)) > 0) {
		if (field == 2)
			config_path = data, config_path_len = n;
	}
	if (got < 0)
		goto malformed;
	if (!config_path_len)
		return 1;
	if (memchr(config_path, '\0', config_path_len)) {
		snprintf(error, error_size, "runtime options: ConfigPath holds a NUL character");
		return 0;
	}
	*path = strndup((const char *)config_path, config_path_len);
	if (!*path)
		snprintf(error, error_size, "out of memory");
	return *path != NULL;
malformed:
	snprintf(error, error_size, "runtime options on stdin: not a protobuf Any of runtimeoptions.v1.Options");
	return 0;
}

/*
 * A member name as a config's error shows it: in double quotes, with '"' and '\' escaped and
 * control characters as \u00XX, so that the message stays one line (src/shim/shim-config.ts quotes
 * the same way). A name too long for out is cut.
 */
static void quote_name(const char *name, size_t len, char *out, size_t out_size)
{
	size_t o = 0;
	if (out_size < 3)
		return;
	out[o++] = '"';
	for (size_t i = 0; i < len && o + 8 < out_size; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '"' || c == '\\')
			out[o++] = '\\', out[o++] = (char)c;
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, out_size - o, "\\u%04x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
}

int shim_config_of(const char *config, size_t len, struct shim_config *out, char *error, size_t error_size)
{
	static const char *const keys[] = { "shimGroup", "systemdCgroup" };
	struct json_result r;
	*out = (struct shim_config){ GROUP_BY_POD, 0 };
	json_unknown_member(config, len, keys, sizeof(keys) / sizeof(keys[0]), &r);
	if (r.found == JSON_MALFORMED) {
		snprintf(error, error_size, "not JSON: %s", r.error);
		return 0;
	}
	if (r.found == JSON_NOT_STRING) {
		snprintf(error, error_size, "not a JSON object");
		return 0;
	}
	if (r.found == JSON_STRING) {
		char quoted[128];
		quote_name(r.value, r.value_len, quoted, sizeof(quoted));
		free(r.value);
		snprintf(error, error_size, "unknown key %s: the keys are shimGroup and systemdCgroup", quoted);
		return 0;
	}
	/* The document is known good from here: only the two values are looked at. */
	json_string_at(config, len, &keys[0], 1, &r);
	if (r.found == JSON_NOT_STRING || (r.found == JSON_STRING && strcmp(r.value, "pod") && strcmp(r.value, "namespace"))) {
		free(r.value);
		snprintf(error, error_size, "shimGroup must be \"pod\" or \"namespace\"");
		return 0;
	}
	if (r.found == JSON_STRING && !strcmp(r.value, "namespace"))
		out->grouping = GROUP_BY_NAMESPACE;
	free(r.value);
	json_string_at(config, len, &keys[1], 1, &r);
	free(r.value);
	if (r.found == JSON_STRING || (r.found == JSON_NOT_STRING && r.kind != 't' && r.kind != 'f')) {
		snprintf(error, error_size, "systemdCgroup must be true or false");
		return 0;
	}
	out->systemd_cgroup = r.found == JSON_NOT_STRING && r.kind == 't';
	return 1;
}

int shim_state_root(const char *bundle_state, size_t len, char **root, char *error, size_t error_size)
{
	static const char *const path[] = { "root" };
	struct json_result r;
	json_string_at(bundle_state, len, path, 1, &r);
	if (r.found == JSON_STRING && r.value_len && r.value[0] == '/' && strlen(r.value) == r.value_len) {
		*root = r.value;
		return 1;
	}
	free(r.value);
	snprintf(error, error_size, "%s", r.found == JSON_MALFORMED ? r.error : "no \"root\" path in it");
	return 0;
}

int shim_plain_id(const char *id)
{
	return *id && strcmp(id, ".") && strcmp(id, "..") && !strpbrk(id, "/@");
}

static size_t put_varint(unsigned char *out, uint64_t v)
{
	size_t n = 0;
	do {
		out[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

size_t shim_delete_response(uint32_t pid, uint32_t exit_status, int64_t seconds, int32_t nanos, unsigned char out[SHIM_DELETE_RESPONSE_MAX])
{
	unsigned char stamp[24];
	size_t n = 0, s = 0;
	/* int64 and int32 go as two's complement in 64 bits: a negative one takes ten bytes. */
	if (seconds)
		stamp[s++] = 0x08, s += put_varint(stamp + s, (uint64_t)seconds);
	if (nanos)
		stamp[s++] = 0x10, s += put_varint(stamp + s, (uint64_t)(int64_t)nanos);
	if (pid)
		out[n++] = 0x08, n += put_varint(out + n, pid);
	if (exit_status)
		out[n++] = 0x10, n += put_varint(out + n, exit_status);
	/* A message field is written when set, even empty. */
	out[n++] = 0x1a;
	n += put_varint(out + n, s);
	memcpy(out + n, stamp, s);
	return n + s;
}
