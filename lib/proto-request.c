/*
 * proto-request.c — read and parse the request: one JSON object on one
 * line, at most BG_REQ_MAX bytes, within a deadline, in UTF-8, nested at
 * most BG_REQ_DEPTH_MAX deep.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "banger.h"

/*
 * Read up to and including the first newline, at most BG_REQ_MAX bytes
 * before it.  Bytes after the newline in the same read are an error
 * (a second request) — a client sends one request per connection —
 * unless extra is not NULL: then they are the start of a payload, and
 * *extra (at buf + *len + 1) and *extra_len say where.
 */
static int
read_line(int fd, int64_t deadline_ms, char *buf, size_t *len,
    size_t *extra_len, struct bg_err *err)
{
	size_t have = 0;

	for (;;) {
		ssize_t r = bg_read_deadline(fd, buf + have,
		    BG_REQ_MAX + 1 - have, deadline_ms);
		char *nl;

		if (r < 0) {
			if (r == -ETIMEDOUT)
				bg_err_set(err, "bad_request",
				    "the request did not arrive in time");
			else
				bg_err_set(err, "bad_request",
				    "reading the request failed: %s",
				    strerror((int)-r));
			return (int)r;
		}
		if (r == 0) {
			bg_err_set(err, "bad_request",
			    have == 0 ?
				"the request is empty: send one JSON object on one line" :
				"the request is truncated: it must end with a newline");
			return -EPROTO;
		}
		nl = memchr(buf + have, '\n', (size_t)r);
		have += (size_t)r;
		if (nl != NULL) {
			if (extra_len != NULL)
				*extra_len = have - (size_t)(nl - buf) - 1;
			else if ((size_t)(nl - buf) + 1 != have) {
				bg_err_set(err, "bad_request",
				    "extra data after the request line: send one JSON object per connection");
				return -EPROTO;
			}
			*len = (size_t)(nl - buf);
			buf[*len] = '\0';
			return 0;
		}
		if (have > BG_REQ_MAX) {
			bg_err_set(err, "bad_request",
			    "the request is larger than %d bytes", BG_REQ_MAX);
			return -EMSGSIZE;
		}
	}
}

static int
cmp_key(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string,
	    (*(const cJSON *const *)b)->string);
}

/*
 * cJSON keeps both items of {"v":1,"v":2}; a validator and an actor
 * could then read different ones.  Refuse duplicate keys, recursively.
 */
static bool
has_duplicate_keys(const cJSON *j, int depth)
{
	const cJSON **keys, *it;
	size_t n = 0, i;
	bool dup = false;

	/* A backstop: the line was refused if nested this deep. */
	if (depth >= BG_REQ_DEPTH_MAX)
		return true;
	cJSON_ArrayForEach(it, j) {
		if ((cJSON_IsObject(it) || cJSON_IsArray(it)) &&
		    has_duplicate_keys(it, depth + 1))
			return true;
		n++;
	}
	if (!cJSON_IsObject(j) || n < 2)
		return false;
	keys = malloc(n * sizeof(*keys));
	if (keys == NULL)
		return true;
	i = 0;
	cJSON_ArrayForEach(it, j)
		keys[i++] = it;
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (i = 1; i < n && !dup; i++)
		dup = strcmp(keys[i - 1]->string, keys[i]->string) == 0;
	free(keys);
	return dup;
}

bool
bg_json_has_duplicate_keys(const cJSON *j)
{
	return has_duplicate_keys(j, 0);
}

/*
 * How deep the line nests: each '[' and '{' outside a string is a
 * level (a backslash in a string escapes the next byte).  Counted
 * before cJSON parses, so that any line nested too deep — for cJSON's
 * own limit (1000) as much as for BG_REQ_DEPTH_MAX — is told so rather
 * than that it is not JSON, and no walk over the parsed tree recurses
 * further.
 */
int
bg_json_nesting(const char *s, size_t len)
{
	bool in_str = false;
	int depth = 0, max = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = false;
		} else if (s[i] == '"')
			in_str = true;
		else if (s[i] == '[' || s[i] == '{') {
			if (++depth > max)
				max = depth;
		} else if ((s[i] == ']' || s[i] == '}') && depth > 0)
			depth--;
	}
	return max;
}

/* A \u0000 escape (a "u0000" after an odd run of backslashes) cuts a C string. */
bool
bg_json_has_nul_escape(const char *s, size_t len)
{
	size_t i, bs = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\') {
			bs++;
			continue;
		}
		if (bs % 2 == 1 && s[i] == 'u' && i + 4 < len &&
		    strncmp(s + i + 1, "0000", 4) == 0)
			return true;
		bs = 0;
	}
	return false;
}

/*
 * The line (len bytes, NUL-terminated) as one JSON object in *out, or
 * -EBADMSG with err saying what is wrong with it.
 */
static int
parse_line(const char *buf, size_t len, cJSON **out, struct bg_err *err)
{
	cJSON *j;

	*out = NULL;
	if (memchr(buf, '\0', len) != NULL ||
	    bg_json_has_nul_escape(buf, len)) {
		bg_err_set(err, "bad_request",
		    "the request is not one valid JSON object");
		return -EBADMSG;
	}
	/* RFC 8259: JSON text is UTF-8, and every answer is. */
	if (!bg_utf8_valid(buf, len)) {
		bg_err_set(err, "bad_request",
		    "the request is not valid UTF-8: send JSON text in UTF-8");
		return -EBADMSG;
	}
	if (bg_json_nesting(buf, len) > BG_REQ_DEPTH_MAX) {
		bg_err_set(err, "bad_request",
		    "the request is nested more than %d deep",
		    BG_REQ_DEPTH_MAX);
		return -EBADMSG;
	}
	j = cJSON_ParseWithLengthOpts(buf, len + 1, NULL, 1);
	if (j == NULL) {
		bg_err_set(err, "bad_request",
		    "the request is not one valid JSON object");
		return -EBADMSG;
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		bg_err_set(err, "bad_request",
		    "the request must be a JSON object");
		return -EBADMSG;
	}
	if (has_duplicate_keys(j, 0)) {
		cJSON_Delete(j);
		bg_err_set(err, "bad_request",
		    "the request has a key twice: send each key once");
		return -EBADMSG;
	}
	*out = j;
	return 0;
}

int
bg_proto_read_request(int fd, int64_t deadline_ms, cJSON **out,
    struct bg_err *err)
{
	return bg_proto_read_request_payload(fd, deadline_ms, out, NULL, NULL,
	    err);
}

int
bg_proto_read_request_payload(int fd, int64_t deadline_ms, cJSON **out,
    char **extra, size_t *extra_len, struct bg_err *err)
{
	char *buf = malloc(BG_REQ_MAX + 2);
	const cJSON *v;
	cJSON *j;
	size_t len = 0, xl = 0;
	int r;

	if (extra != NULL)
		*extra = NULL;
	if (extra_len != NULL)
		*extra_len = 0;
	if (buf == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	r = read_line(fd, deadline_ms, buf, &len, extra ? &xl : NULL, err);
	if (r < 0) {
		free(buf);
		return r;
	}
	if (extra != NULL && xl > 0) {
		*extra = malloc(xl);
		if (*extra == NULL) {
			free(buf);
			bg_err_set(err, "temporary", "out of memory");
			return -ENOMEM;
		}
		memcpy(*extra, buf + len + 1, xl);
		*extra_len = xl;
	}
	r = parse_line(buf, len, &j, err);
	/* It may carry a credential (image-import-oci's "auth"). */
	explicit_bzero(buf, len);
	free(buf);
	if (r < 0) {
		if (extra != NULL) {
			free(*extra);
			*extra = NULL;
			*extra_len = 0;
		}
		return r;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "v");
	if (v != NULL && !(cJSON_IsNumber(v) && v->valuedouble == 1)) {
		cJSON_Delete(j);
		if (extra != NULL) {
			free(*extra);
			*extra = NULL;
			*extra_len = 0;
		}
		bg_err_set(err, "bad_request",
		    "unsupported protocol version: this banger speaks \"v\":1");
		return -EPROTO;
	}
	*out = j;
	return 0;
}
