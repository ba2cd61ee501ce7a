/*
 * The shim's pure C rules (native/launch/shim-rules.c, json-scan.c, sha256.c) on the command
 * line, for test/unit/shim/shim-start.test.ts, which builds this with them:
 *   sha256 FILE...            the digest of each file, one a line
 *   join ELEM... --           go_path_join of the elements (repeatable: ELEM... -- ELEM... --)
 *   address ADDR NS GROUP...  the socket address of each triple, one a line
 *   group ID                  the group of config.json text on stdin
 *   options                   the config path of the runtime options (an Any) on stdin, or "none"
 *   config [FILE...]          a shim config on stdin, or each FILE's, one a line: "pod" or "namespace",
 *                             a space, "true" or "false"
 *   state-root                the root in a keel-shim.json on stdin
 *   plain-id ID...            1 or 0 for each id, one a line
 *   delete-response PID STATUS SECONDS NANOS   the DeleteResponse's bytes in hex
 * A refusal prints "error: <why>" and exits 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-scan.h"
#include "sha256.h"
#include "shim-rules.h"

static char *slurp(FILE *in, size_t *len)
{
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap + 1);
	while (buf && (got = fread(buf + n, 1, cap - n, in)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	if (!buf)
		exit(2);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	char error[256] = "";
	size_t len;
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "sha256")) {
		for (int i = 2; i < argc; i++) {
			FILE *f = fopen(argv[i], "rb");
			if (!f)
				return 2;
			char *data = slurp(f, &len), hex[65];
			fclose(f);
			sha256_hex(data, len, hex);
			printf("%s\n", hex);
			free(data);
		}
		return 0;
	}
	if (!strcmp(argv[1], "join")) {
		for (int i = 2; i < argc;) {
			int end = i;
			while (end < argc && strcmp(argv[end], "--")) end++;
			char *joined = go_path_join((const char *const *)argv + i, (size_t)(end - i));
			printf("%s\n", joined);
			free(joined);
			i = end + 1;
		}
		return 0;
	}
	if (!strcmp(argv[1], "address")) {
		char address[SHIM_ADDRESS_SIZE];
		for (int i = 2; i + 2 < argc; i += 3) {
			if (!shim_socket_address(argv[i], argv[i + 1], argv[i + 2], address))
				return 2;
			printf("%s\n", address);
		}
		return 0;
	}
	if (!strcmp(argv[1], "plain-id")) {
		for (int i = 2; i < argc; i++) printf("%d\n", shim_plain_id(argv[i]));
		return 0;
	}
	if (!strcmp(argv[1], "delete-response") && argc == 6) {
		unsigned char bytes[SHIM_DELETE_RESPONSE_MAX];
		size_t n = shim_delete_response((uint32_t)strtoul(argv[2], NULL, 10), (uint32_t)strtoul(argv[3], NULL, 10), strtoll(argv[4], NULL, 10), (int32_t)strtol(argv[5], NULL, 10), bytes);
		for (size_t i = 0; i < n; i++) printf("%02x", bytes[i]);
		return 0;
	}
	if (!strcmp(argv[1], "config") && argc > 2) {
		for (int i = 2; i < argc; i++) {
			FILE *f = fopen(argv[i], "rb");
			if (!f)
				return 2;
			char *text = slurp(f, &len);
			fclose(f);
			struct shim_config config;
			if (shim_config_of(text, len, &config, error, sizeof(error)))
				printf("%s %s\n", config.grouping == GROUP_BY_NAMESPACE ? "namespace" : "pod", config.systemd_cgroup ? "true" : "false");
			else
				printf("error: %s\n", error);
			free(text);
		}
		return 0;
	}
	char *in = slurp(stdin, &len), *out = NULL;
	int ok;
	if (!strcmp(argv[1], "group") && argc == 3) {
		ok = shim_group(in, len, argv[2], &out, error, sizeof(error));
	} else if (!strcmp(argv[1], "options")) {
		ok = shim_options_config_path((const unsigned char *)in, len, &out, error, sizeof(error));
	} else if (!strcmp(argv[1], "state-root")) {
		ok = shim_state_root(in, len, &out, error, sizeof(error));
	} else if (!strcmp(argv[1], "config")) {
		struct shim_config config;
		ok = shim_config_of(in, len, &config, error, sizeof(error));
		out = malloc(32);
		if (out)
			snprintf(out, 32, "%s %s", config.grouping == GROUP_BY_NAMESPACE ? "namespace" : "pod", config.systemd_cgroup ? "true" : "false");
	} else {
		return 2;
	}
	if (!ok) {
		printf("error: %s\n", error);
		return 1;
	}
	fwrite(out ? out : "none", 1, strlen(out ? out : "none"), stdout);
	return 0;
}
