/*
 * proto.c — the wire protocol (DESIGN.md §2).
 *
 * Request:  "verb\n" then one JSON object on one line (≤ 64 KiB).
 * Answer:   JSON lines: events {"event":...}, then exactly one final
 *           {"ok":true,"result":{...}} or {"ok":false,"error":{...}}.
 *
 * Every read has a deadline and a cap.  The verb is read one byte at a
 * time so that nothing past its newline is consumed: the dispatcher
 * execs the helper with the rest of the request still on stdin.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "banger.h"

int
bg_proto_read_verb(int fd, char *verb, int64_t deadline_ms, struct bg_err *err)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = bg_read_deadline(fd, &c, 1, deadline_ms);

		if (r < 0) {
			bg_err_set(err, "bad_request", r == -ETIMEDOUT ?
			    "no request verb arrived in time" :
			    "reading the request verb failed: %s", strerror((int)-r));
			return (int)r;
		}
		if (r == 0) {
			bg_err_set(err, "bad_request",
			    "the connection ended before the request verb line was complete");
			return -EPROTO;
		}
		if (c == '\n')
			break;
		if (n >= BG_VERB_MAX) {
			bg_err_set(err, "bad_request",
			    "the request verb is longer than %d bytes", BG_VERB_MAX);
			return -EMSGSIZE;
		}
		verb[n++] = c;
	}
	verb[n] = '\0';
	if (!bg_verb_valid(verb) || strlen(verb) != n) {
		bg_err_set(err, "bad_request",
		    "the request verb must match [a-z0-9-]{1,%d}", BG_VERB_MAX);
		return -EPROTO;
	}
	return 0;
}

/*
 * Read up to and including the first newline, at most BG_REQ_MAX bytes
 * before it.  Bytes after the newline in the same read are an error
 * (a second request) — a client sends one request per connection.
 */
static int
read_line(int fd, int64_t deadline_ms, char *buf, size_t *len,
    struct bg_err *err)
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
			bg_err_set(err, "bad_request", have == 0 ?
			    "the request is empty: send one JSON object on one line" :
			    "the request is truncated: it must end with a newline");
			return -EPROTO;
		}
		nl = memchr(buf + have, '\n', (size_t)r);
		have += (size_t)r;
		if (nl != NULL) {
			if ((size_t)(nl - buf) + 1 != have) {
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

int
bg_proto_read_request(int fd, int64_t deadline_ms, cJSON **out,
    struct bg_err *err)
{
	char *buf = malloc(BG_REQ_MAX + 2);
	const cJSON *v;
	cJSON *j;
	size_t len = 0;
	int r;

	if (buf == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	r = read_line(fd, deadline_ms, buf, &len, err);
	if (r < 0) {
		free(buf);
		return r;
	}
	j = memchr(buf, '\0', len) ? NULL :
	    cJSON_ParseWithLengthOpts(buf, len + 1, NULL, 1);
	free(buf);
	if (j == NULL) {
		bg_err_set(err, "bad_request",
		    "the request is not one valid JSON object");
		return -EBADMSG;
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		bg_err_set(err, "bad_request", "the request must be a JSON object");
		return -EBADMSG;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "v");
	if (v != NULL && !(cJSON_IsNumber(v) && v->valuedouble == 1)) {
		cJSON_Delete(j);
		bg_err_set(err, "bad_request",
		    "unsupported protocol version: this banger speaks \"v\":1");
		return -EPROTO;
	}
	*out = j;
	return 0;
}

static int
write_json_line(int fd, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	size_t len;
	int r;

	cJSON_Delete(obj);
	if (s == NULL)
		return -ENOMEM;
	len = strlen(s);
	/* PrintUnformatted allocated len+1; reuse the NUL for the newline. */
	s[len] = '\n';
	r = bg_write_all(fd, s, len + 1);
	free(s);
	return r;
}

int
bg_proto_event(int fd, const char *event, cJSON *fields)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *f;

	if (o == NULL) {
		cJSON_Delete(fields);
		return -ENOMEM;
	}
	cJSON_AddStringToObject(o, "event", event);
	if (fields != NULL) {
		while ((f = fields->child) != NULL) {
			cJSON_DetachItemViaPointer(fields, f);
			cJSON_AddItemToObject(o, f->string, f);
		}
		cJSON_Delete(fields);
	}
	return write_json_line(fd, o);
}

int
bg_proto_log(int fd, const char *fmt, ...)
{
	char msg[1024];
	cJSON *f = cJSON_CreateObject();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (f == NULL)
		return -ENOMEM;
	cJSON_AddStringToObject(f, "message", msg);
	return bg_proto_event(fd, "log", f);
}

int
bg_proto_progress(int fd, const char *what, uint64_t done, uint64_t total)
{
	cJSON *f = cJSON_CreateObject();

	if (f == NULL)
		return -ENOMEM;
	cJSON_AddStringToObject(f, "what", what);
	cJSON_AddNumberToObject(f, "done", (double)done);
	cJSON_AddNumberToObject(f, "total", (double)total);
	return bg_proto_event(fd, "progress", f);
}

void
bg_proto_drain(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t r;

	/*
	 * Closing a unix socket with unread bytes resets the connection;
	 * read what the client already sent (bounded, never waiting) so
	 * an early answer ends in a clean EOF.  Pipes: ENOTSOCK, nothing.
	 */
	while (total < BG_REQ_MAX + BG_VERB_MAX + 2 &&
	    (r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += (size_t)r;
}

int
bg_proto_ok(int fd, cJSON *result)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL) {
		cJSON_Delete(result);
		return -ENOMEM;
	}
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddItemToObject(o, "result",
	    result != NULL ? result : cJSON_CreateObject());
	return write_json_line(fd, o);
}

int
bg_proto_fail(int fd, const struct bg_err *err)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *e = cJSON_CreateObject();

	if (o == NULL || e == NULL) {
		cJSON_Delete(o);
		cJSON_Delete(e);
		return -ENOMEM;
	}
	cJSON_AddBoolToObject(o, "ok", 0);
	cJSON_AddStringToObject(e, "code", err->code[0] ? err->code : "internal");
	cJSON_AddStringToObject(e, "message", err->msg);
	cJSON_AddItemToObject(o, "error", e);
	return write_json_line(fd, o);
}

void
bg_linereader_init(struct bg_linereader *lr, int fd)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
}

int
bg_linereader_next(struct bg_linereader *lr, char **line, int64_t deadline_ms)
{
	for (;;) {
		char *start = lr->buf + lr->off;
		char *nl = lr->len > lr->off ?
		    memchr(start, '\n', lr->len - lr->off) : NULL;

		if (nl != NULL) {
			*nl = '\0';
			*line = start;
			lr->off = (size_t)(nl - lr->buf) + 1;
			return 1;
		}
		/* Compact, then grow within the cap. */
		if (lr->off > 0) {
			memmove(lr->buf, start, lr->len - lr->off);
			lr->len -= lr->off;
			lr->off = 0;
		}
		if (lr->len + 1 >= lr->cap) {
			size_t ncap = lr->cap ? lr->cap * 2 : 4096;
			char *nb;

			if (ncap > BG_ANSWER_LINE_MAX + 2)
				ncap = BG_ANSWER_LINE_MAX + 2;
			if (lr->len + 1 >= ncap)
				return -EMSGSIZE;
			nb = realloc(lr->buf, ncap);
			if (nb == NULL)
				return -ENOMEM;
			lr->buf = nb;
			lr->cap = ncap;
		}
		ssize_t r = bg_read_deadline(lr->fd, lr->buf + lr->len,
		    lr->cap - 1 - lr->len, deadline_ms);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return lr->len == 0 ? 0 : -EPROTO;
		lr->len += (size_t)r;
	}
}

void
bg_linereader_free(struct bg_linereader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
	lr->len = lr->off = lr->cap = 0;
}

int
bg_unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(fd);
		return -e;
	}
	return fd;
}
