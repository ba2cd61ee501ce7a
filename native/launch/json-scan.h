/*
 * A JSON reader for two things: the string at a path of object members (e.g. annotations, then
 * one annotation's name), and the first member of a top-level object whose name is not on a list,
 * in a document it checks whole against RFC 8259 on the way. No tree is built. As JSON.parse, a
 * member named twice counts by its last occurrence.
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
	char kind; /* JSON_NOT_STRING: the value's first byte ('t' for true, 'f' for false, 'n', '{', '[', a number's) */
	char error[96];
};

/* Looks up path[0]...path[depth-1] in the document text[0..len). */
void json_string_at(const char *text, size_t len, const char *const *path, size_t depth, struct json_result *out);

/*
 * The first member (in the document's order) of the top-level object whose name is none of
 * known[0..n): JSON_STRING with that name decoded in value, JSON_ABSENT when every name is known,
 * JSON_NOT_STRING when the document is not an object, JSON_MALFORMED as above.
 */
void json_unknown_member(const char *text, size_t len, const char *const *known, size_t n, struct json_result *out);

#endif
