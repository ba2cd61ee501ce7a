/*
 * A JSON reader for one thing: the string at a path of object members (e.g. annotations, then
 * one annotation's name), in a document it checks whole against RFC 8259 on the way. No tree is
 * built. As JSON.parse, a member named twice counts by its last occurrence.
 */
#ifndef KEEL_JSON_SCAN_H
#define KEEL_JSON_SCAN_H
#include <stddef.h>

enum json_found {
	JSON_ABSENT,     /* no such member (or a member on the way is not an object) */
	JSON_STRING,     /* found, a string: value/value_len hold it decoded (UTF-8, NUL-terminated) */
	JSON_NOT_STRING, /* found, but a number, object, array, true, false or null */
	JSON_MALFORMED,  /* the document is not JSON keel can read: error says why and where */
};

struct json_result {
	enum json_found found;
	char *value; /* malloc'd; the caller frees it */
	size_t value_len;
	char error[96];
};

/* Looks up path[0]...path[depth-1] in the document text[0..len). */
void json_string_at(const char *text, size_t len, const char *const *path, size_t depth, struct json_result *out);

#endif
