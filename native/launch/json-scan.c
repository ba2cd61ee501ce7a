/*
 * A recursive-descent pass over a JSON document (RFC 8259): every value is checked, strings are
 * decoded only where they name a member on the path or are the value looked for. Refused: bytes
 * that are not UTF-8, control characters in strings, a byte-order mark, nesting deeper than
 * MAX_DEPTH, anything after the value.
 */
#include "json-scan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

struct scan {
	const unsigned char *p, *start, *end;
	const char *const *path;
	size_t depth;
	const char *const *known; /* json_unknown_member's names, else NULL */
	size_t known_n;
	struct json_result *out;
	int failed;
};

static void fail(struct scan *s, const char *what)
{
	if (s->failed)
		return;
	s->failed = 1;
	snprintf(s->out->error, sizeof(s->out->error), "%s at byte %zu", what, (size_t)(s->p - s->start));
}

static void skip_space(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

/* The length of the UTF-8 sequence at p (RFC 3629: shortest form, no surrogates, at most U+10FFFF), or 0. */
static size_t utf8_length(const unsigned char *p, const unsigned char *end)
{
	size_t n = end - p;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/* The value of a hex digit, 16 for anything else. */
static unsigned hex_digit(unsigned c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 16;
}

static int hex4(struct scan *s, uint32_t *cp)
{
	*cp = 0;
	for (int i = 0; i < 4; i++, s->p++) {
		if (s->p >= s->end)
			return 0;
		unsigned c = *s->p;
		unsigned v = hex_digit(c);
		if (v == 16)
			return 0;
		*cp = *cp << 4 | v;
	}
	return 1;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A string at s->p (its opening quote). With decoded, its value is written there (malloc'd, NUL-
 * terminated). \u escapes become UTF-8; a surrogate without its pair becomes U+FFFD, as a string
 * JSON.parse made would when written out as UTF-8.
 */
static int string(struct scan *s, char **decoded, size_t *decoded_len)
{
	const unsigned char *open = s->p++;
	char *out = NULL;
	size_t n = 0;
	if (decoded) {
		/* Decoding never lengthens: an escape of 6 bytes gives at most 3, a pair of 12 gives 4. */
		out = malloc((size_t)(s->end - open) + 1);
		if (!out) {
			fail(s, "out of memory");
			return 0;
		}
	}
	for (;;) {
		if (s->p >= s->end) {
			s->p = open;
			fail(s, "unterminated string");
			break;
		}
		unsigned char c = *s->p;
		if (c == '"') {
			s->p++;
			if (decoded) {
				out[n] = '\0';
				*decoded = out;
				*decoded_len = n;
			}
			return 1;
		}
		if (c < 0x20) {
			fail(s, "control character in a string");
			break;
		}
		if (c != '\\') {
			size_t len = utf8_length(s->p, s->end);
			if (!len) {
				fail(s, "bytes that are not UTF-8");
				break;
			}
			if (out)
				memcpy(out + n, s->p, len);
			n += len;
			s->p += len;
			continue;
		}
		if (++s->p >= s->end) {
			fail(s, "unterminated string");
			break;
		}
		const char *simple = strchr("\"\\/bfnrt", *s->p);
		if (simple && *s->p) {
			static const char value[] = "\"\\/\b\f\n\r\t";
			if (out)
				out[n] = value[simple - "\"\\/bfnrt"];
			n++;
			s->p++;
			continue;
		}
		if (*s->p != 'u') {
			fail(s, "bad escape in a string");
			break;
		}
		s->p++;
		uint32_t cp;
		if (!hex4(s, &cp)) {
			fail(s, "bad \\u escape in a string");
			break;
		}
		if (cp >= 0xd800 && cp <= 0xdbff && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
			const unsigned char *low_at = s->p;
			uint32_t low;
			s->p += 2;
			if (hex4(s, &low) && low >= 0xdc00 && low <= 0xdfff)
				cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
			else
				s->p = low_at; /* not its pair: read again on its own */
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		char buf[4];
		size_t len = put_utf8(buf, cp);
		if (out)
			memcpy(out + n, buf, len);
		n += len;
	}
	free(out);
	return 0;
}

static int literal(struct scan *s, const char *word)
{
	size_t len = strlen(word);
	if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len)) {
		fail(s, "unexpected character");
		return 0;
	}
	s->p += len;
	return 1;
}

static int digits(struct scan *s)
{
	const unsigned char *from = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
	return s->p > from;
}

static int number(struct scan *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!digits(s))
		goto bad;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digits(s))
			goto bad;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digits(s))
			goto bad;
	}
	return 1;
bad:
	fail(s, "bad number");
	return 0;
}

static int value(struct scan *s, size_t nesting, size_t on_path);

/*
 * An object. on_path is how many path names led here (a value reached off the path gets
 * s->depth + 1): a member named path[on_path] is followed, and the last one is the target.
 */
static int object(struct scan *s, size_t nesting, size_t on_path)
{
	s->p++;
	skip_space(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 1;
	}
	for (;;) {
		skip_space(s);
		if (s->p >= s->end || *s->p != '"') {
			fail(s, "expected a member name");
			return 0;
		}
		char *name = NULL;
		size_t name_len = 0;
		int follow = on_path < s->depth, check = s->known && nesting == 0;
		if (!string(s, follow || check ? &name : NULL, &name_len))
			return 0;
		if (follow)
			follow = name_len == strlen(s->path[on_path]) && !memcmp(name, s->path[on_path], name_len);
		if (check && s->out->found == JSON_ABSENT) {
			size_t k = 0;
			while (k < s->known_n && !(name_len == strlen(s->known[k]) && !memcmp(name, s->known[k], name_len))) k++;
			if (k == s->known_n) {
				s->out->found = JSON_STRING;
				s->out->value = name, s->out->value_len = name_len;
				name = NULL;
			}
		}
		free(name);
		skip_space(s);
		if (s->p >= s->end || *s->p != ':') {
			fail(s, "expected ':'");
			return 0;
		}
		s->p++;
		skip_space(s);
		if (follow) {
			/* A later member of this name replaces what an earlier one gave. */
			free(s->out->value);
			s->out->value = NULL;
			s->out->found = JSON_ABSENT;
		}
		if (follow && on_path + 1 == s->depth) {
			if (s->p < s->end && *s->p == '"') {
				if (!string(s, &s->out->value, &s->out->value_len))
					return 0;
				s->out->found = JSON_STRING;
			} else {
				char kind = s->p < s->end ? (char)*s->p : '\0';
				if (!value(s, nesting + 1, s->depth + 1))
					return 0;
				s->out->found = JSON_NOT_STRING;
				s->out->kind = kind;
			}
		} else if (!value(s, nesting + 1, follow ? on_path + 1 : s->depth + 1)) {
			return 0;
		}
		skip_space(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 1;
		}
		fail(s, "expected ',' or '}'");
		return 0;
	}
}

static int array(struct scan *s, size_t nesting)
{
	s->p++;
	skip_space(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 1;
	}
	for (;;) {
		skip_space(s);
		if (!value(s, nesting + 1, s->depth + 1))
			return 0;
		skip_space(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return 1;
		}
		fail(s, "expected ',' or ']'");
		return 0;
	}
}

static int value(struct scan *s, size_t nesting, size_t on_path)
{
	if (nesting > MAX_DEPTH) {
		fail(s, "nested too deep");
		return 0;
	}
	if (s->p >= s->end) {
		fail(s, "unexpected end");
		return 0;
	}
	switch (*s->p) {
	case '{': return object(s, nesting, on_path);
	case '[': return array(s, nesting);
	case '"': return string(s, NULL, NULL);
	case 't': return literal(s, "true");
	case 'f': return literal(s, "false");
	case 'n': return literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return number(s);
		fail(s, "unexpected character");
		return 0;
	}
}

/* The whole document, from s->p; on_path as for value(). */
static void document(struct scan *s, size_t on_path)
{
	skip_space(s);
	if (value(s, 0, on_path)) {
		skip_space(s);
		if (s->p != s->end)
			fail(s, "more after the JSON value");
	}
	if (s->failed) {
		free(s->out->value);
		s->out->value = NULL;
		s->out->found = JSON_MALFORMED;
	}
}

void json_string_at(const char *text, size_t len, const char *const *path, size_t depth, struct json_result *out)
{
	struct scan s = { (const unsigned char *)text, (const unsigned char *)text, (const unsigned char *)text + len, path, depth, NULL, 0, out, 0 };
	memset(out, 0, sizeof(*out));
	document(&s, depth ? 0 : 1);
}

void json_unknown_member(const char *text, size_t len, const char *const *known, size_t n, struct json_result *out)
{
	struct scan s = { (const unsigned char *)text, (const unsigned char *)text, (const unsigned char *)text + len, NULL, 0, known, n, out, 0 };
	memset(out, 0, sizeof(*out));
	document(&s, 1);
	if (out->found == JSON_MALFORMED)
		return;
	s.p = s.start;
	skip_space(&s);
	if (*s.p != '{') {
		/* Not an object: no member was looked at. */
		out->found = JSON_NOT_STRING;
		out->kind = (char)*s.p;
	}
}
