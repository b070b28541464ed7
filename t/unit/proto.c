/* Unit tests: protocol framing (verb line, request line, answers). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banger.h"
#include "tap.h"

/* A pipe whose read end carries data (written by a child, so any size
 * works) and, if keep_open, whose writer stays open until killed. */
static pid_t writer;

static int
feed(const char *data, size_t len, int keep_open)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	writer = fork();
	if (writer == 0) {
		close(p[0]);
		bg_write_all(p[1], data, len);
		if (keep_open)
			pause();
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static void
reap(int fd)
{
	close(fd);
	kill(writer, SIGKILL);
	waitpid(writer, NULL, 0);
}

static int
req(const char *data, size_t len, int keep_open, struct bg_err *err,
    cJSON **out)
{
	int fd = feed(data, len, keep_open);
	cJSON *j = NULL;
	int r = bg_proto_read_request(fd, bg_now_ms() + 300, &j, err);

	reap(fd);
	if (out)
		*out = j;
	else
		cJSON_Delete(j);
	return r;
}

#define REQ(s, ko, e) req((s), sizeof(s) - 1, (ko), (e), NULL)

/* A request line nesting depth levels: the object, then arrays. */
static int
nested(int depth, struct bg_err *err)
{
	size_t n = 8 + 2 * (size_t)depth, at = 0;
	char *s = malloc(n);
	int i, r;

	at += (size_t)sprintf(s, "{\"a\":");
	for (i = 1; i < depth; i++)
		s[at++] = '[';
	for (i = 1; i < depth; i++)
		s[at++] = ']';
	s[at++] = '}';
	s[at++] = '\n';
	r = req(s, at, 0, err, NULL);
	free(s);
	return r;
}

/* What one answer function wrote: its line, in line (without the newline). */
static void
answer_line(int fd, char *line, size_t n)
{
	ssize_t r = read(fd, line, n - 1);

	line[r > 0 ? r : 0] = '\0';
	if (r > 0 && line[r - 1] == '\n')
		line[r - 1] = '\0';
}

int
main(void)
{
	struct bg_err err;
	char verb[BG_VERB_MAX + 1], rest[64];
	cJSON *j;
	char *big;
	int fd, r;

	/* Verb line: consumed byte-exact, the rest stays for the helper. */
	fd = feed("vm-list\n{\"v\":1}\n", 16, 0);
	is_int(bg_proto_read_verb(fd, verb, bg_now_ms() + 1000, &err), 0,
	    "verb read");
	is_str(verb, "vm-list", "verb is vm-list");
	r = (int)read(fd, rest, sizeof(rest) - 1);
	rest[r > 0 ? r : 0] = '\0';
	is_str(rest, "{\"v\":1}\n", "nothing past the verb's newline consumed");
	reap(fd);

	fd = feed("abcdefghijabcdefghijabcdefghijabc\n", 34, 0);
	is_int(bg_proto_read_verb(fd, verb, bg_now_ms() + 1000, &err),
	    -EMSGSIZE, "33-byte verb refused");
	is_str(err.code, "bad_request", "code bad_request");
	reap(fd);
	fd = feed("VM-LIST\n", 8, 0);
	is_int(bg_proto_read_verb(fd, verb, bg_now_ms() + 1000, &err), -EPROTO,
	    "upper-case verb refused");
	reap(fd);
	fd = feed("vm\0list\n", 8, 0);
	is_int(bg_proto_read_verb(fd, verb, bg_now_ms() + 1000, &err), -EPROTO,
	    "NUL in verb refused");
	reap(fd);
	fd = feed("\n", 1, 0);
	is_int(bg_proto_read_verb(fd, verb, bg_now_ms() + 1000, &err), -EPROTO,
	    "empty verb refused");
	reap(fd);
	fd = feed("vm-li", 5, 0);
	is_int(bg_proto_read_verb(fd, verb, bg_now_ms() + 1000, &err), -EPROTO,
	    "truncated verb refused");
	reap(fd);
	fd = feed("vm-li", 5, 1);
	is_int(bg_proto_read_verb(fd, verb, bg_now_ms() + 200, &err),
	    -ETIMEDOUT, "silent client times out");
	reap(fd);

	/* Request line. */
	is_int(req("{\"v\":1,\"name\":\"a\"}\n", 19, 0, &err, &j), 0,
	    "valid request");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "name")), "a",
	    "request parsed");
	cJSON_Delete(j);
	is_int(REQ("{}\n", 0, &err), 0, "{} accepted (v defaults to 1)");
	is_int(REQ("{}", 0, &err), -EPROTO, "truncated (no newline) refused");
	ok(strstr(err.msg, "truncated") != NULL, "message says truncated");
	is_int(REQ("", 0, &err), -EPROTO, "empty request refused");
	is_int(REQ("{\"v\":1", 1, &err), -ETIMEDOUT,
	    "half a request, then silence: times out");
	is_int(REQ("garbage\n", 0, &err), -EBADMSG, "garbage refused");
	is_str(err.code, "bad_request", "garbage: bad_request");
	is_int(REQ("{}{}\n", 0, &err), -EBADMSG,
	    "two objects on one line refused");
	is_int(REQ("{} {}\n", 0, &err), -EBADMSG,
	    "two objects with a space refused");
	is_int(REQ("{}\n{}\n", 0, &err), -EPROTO, "second line refused");
	ok(strstr(err.msg, "extra data") != NULL, "message says extra data");
	{
		/* A request with a payload: the bytes after the newline. */
		static const char w[] = "{\"workspace\":true}\nTAR\0DATA";
		char *x = NULL;
		size_t xl = 99;
		int pfd = feed(w, sizeof(w) - 1, 0);

		is_int(bg_proto_read_request_payload(pfd, bg_now_ms() + 300, &j,
			   &x, &xl, &err),
		    0, "payload request read");
		reap(pfd);
		ok(cJSON_IsTrue(cJSON_GetObjectItem(j, "workspace")),
		    "payload request parsed");
		ok(xl == 8 && x != NULL && memcmp(x, "TAR\0DATA", 8) == 0,
		    "the bytes after the newline are handed back");
		cJSON_Delete(j);
		free(x);
		pfd = feed("{}\n", 3, 0);
		x = (char *)1;
		is_int(bg_proto_read_request_payload(pfd, bg_now_ms() + 300, &j,
			   &x, &xl, &err),
		    0, "payload request without payload read");
		reap(pfd);
		ok(x == NULL && xl == 0, "no payload: NULL and 0");
		cJSON_Delete(j);
		pfd = feed("{\"v\":2}\nxyz", 11, 0);
		is_int(bg_proto_read_request_payload(pfd, bg_now_ms() + 300, &j,
			   &x, &xl, &err),
		    -EPROTO, "payload request with a bad v refused");
		reap(pfd);
		ok(x == NULL && xl == 0, "refused: the read-ahead is freed");
	}
	is_int(REQ("[1]\n", 0, &err), -EBADMSG, "array refused");
	is_int(REQ("\"s\"\n", 0, &err), -EBADMSG, "string refused");
	is_int(REQ("{\"v\":2}\n", 0, &err), -EPROTO, "v 2 refused");
	is_int(REQ("{\"v\":\"1\"}\n", 0, &err), -EPROTO, "v as string refused");
	is_int(req("{\"a\":\"x\0y\"}\n", 12, 0, &err, NULL), -EBADMSG,
	    "NUL inside refused");
	is_int(REQ("{\"v\":1,\"v\":2}\n", 0, &err), -EBADMSG,
	    "duplicate key refused");
	ok(strstr(err.msg, "key twice") != NULL, "message says key twice");
	is_int(REQ("{\"a\":{\"b\":1,\"b\":1}}\n", 0, &err), -EBADMSG,
	    "nested duplicate key refused");
	is_int(REQ("{\"a\":[{\"b\":1,\"c\":2,\"b\":3}]}\n", 0, &err), -EBADMSG,
	    "duplicate key in an array's object refused");
	is_int(REQ("{\"name\":\"ab\\u0000../x\"}\n", 0, &err), -EBADMSG,
	    "\\u0000 escape refused");
	is_int(REQ("{\"na\\u0000me\":1}\n", 0, &err), -EBADMSG,
	    "\\u0000 in a key refused");
	is_int(REQ("{\"a\":\"\\\\u0000\"}\n", 0, &err), 0,
	    "escaped backslash then u0000 is text, accepted");
	is_int(REQ("{\"a\":\"\\u0041\",\"b\":[1,{\"c\":1}]}\n", 0, &err), 0,
	    "other escapes and distinct keys accepted");

	/* JSON text is UTF-8 (RFC 8259): anything else is refused. */
	is_int(REQ("{\"\xff\":1}\n", 0, &err), -EBADMSG,
	    "a key with a byte that is not UTF-8 refused");
	ok(strstr(err.msg, "not valid UTF-8") != NULL,
	    "message says not valid UTF-8");
	ok(bg_utf8_valid(err.msg, strlen(err.msg)), "and is UTF-8 itself");
	is_int(REQ("{\"a\":\"caf\xe9\"}\n", 0, &err), -EBADMSG,
	    "a Latin-1 string value refused");
	is_int(REQ("{\"a\":[\"x\xc3\"]}\n", 0, &err), -EBADMSG,
	    "a cut-short character in an array refused");
	is_int(REQ("{\"a\":\"\xed\xa0\x80\"}\n", 0, &err), -EBADMSG,
	    "a raw surrogate refused");
	is_int(REQ("{\"a\":\"\xc0\xaf\"}\n", 0, &err), -EBADMSG,
	    "an overlong '/' refused");
	is_int(REQ("{\"a\":\"\\ud800\"}\n", 0, &err), -EBADMSG,
	    "a lone surrogate escape refused (cJSON)");
	is_int(REQ("{\"caf\xc3\xa9\":\"\xe2\x98\x83 \xf0\x9f\x98\x80 "
		   "\\ud83d\\ude00\"}\n",
		   0, &err),
	    0, "UTF-8 keys, values and escapes accepted");

	/* Nesting: at most BG_REQ_DEPTH_MAX levels, said as such. */
	is_int(nested(BG_REQ_DEPTH_MAX, &err), 0, "64 levels accepted");
	is_int(nested(BG_REQ_DEPTH_MAX + 1, &err), -EBADMSG,
	    "65 levels refused");
	is_str(err.msg, "the request is nested more than 64 deep",
	    "65 levels: said to be too deep");
	is_int(nested(100, &err), -EBADMSG, "100 levels refused");
	is_str(err.msg, "the request is nested more than 64 deep",
	    "100 levels: too deep, not a key twice");
	is_int(nested(2000, &err), -EBADMSG, "2000 levels refused");
	is_str(err.msg, "the request is nested more than 64 deep",
	    "past cJSON's own limit: too deep, not invalid JSON");
	is_int(REQ("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		   "[[[[[[[[[[[[[[[[[[[[\"}\n",
		   0, &err),
	    0, "brackets inside a string are not nesting");
	is_int(REQ("{\"a\":\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		   "[[[[[[[[[[[[[[[[[[[[\"}\n",
		   0, &err),
	    0, "... nor after an escaped quote");
	is_int(REQ("{\"a\":[{\"b\":1,\"b\":2}]}\n", 0, &err), -EBADMSG,
	    "a nested duplicate key still refused");
	is_str(err.msg, "the request has a key twice: send each key once",
	    "... as a key twice");

	/* One deadline from the dispatcher's verb line to the request's end. */
	{
		int64_t now = bg_now_ms(), d;
		char v[32];

		unsetenv(BG_DEADLINE_ENV);
		d = bg_proto_deadline();
		ok(d >= now + BG_READ_TIMEOUT_MS &&
			d < now + BG_READ_TIMEOUT_MS + 1000,
		    "no deadline passed: %d ms from now", BG_READ_TIMEOUT_MS);
		snprintf(v, sizeof(v), "%lld", (long long)now + 1234);
		setenv(BG_DEADLINE_ENV, v, 1);
		is_int(bg_proto_deadline(), now + 1234,
		    "an earlier deadline from the dispatcher is kept");
		ok(getenv(BG_DEADLINE_ENV) == NULL,
		    "and taken out of the environment");
		snprintf(v, sizeof(v), "%lld",
		    (long long)now + BG_READ_TIMEOUT_MS + 60000);
		setenv(BG_DEADLINE_ENV, v, 1);
		ok(bg_proto_deadline() < now + BG_READ_TIMEOUT_MS + 1000,
		    "a later one never lengthens the wait");
		setenv(BG_DEADLINE_ENV, "12x", 1);
		ok(bg_proto_deadline() >= now + BG_READ_TIMEOUT_MS,
		    "a value that is not a number is ignored");
		setenv(BG_DEADLINE_ENV, "-5", 1);
		ok(bg_proto_deadline() >= now + BG_READ_TIMEOUT_MS,
		    "a negative one is ignored");
		setenv(BG_DEADLINE_ENV, "99999999999999999999999", 1);
		ok(bg_proto_deadline() >= now + BG_READ_TIMEOUT_MS,
		    "an overlong one is ignored");
		snprintf(v, sizeof(v), "%lld", (long long)now + 200);
		setenv(BG_DEADLINE_ENV, v, 1);
		fd = feed("{\"v\":1", 6, 1);
		is_int(bg_proto_read_request(fd, bg_proto_deadline(), &j, &err),
		    -ETIMEDOUT, "the request read ends at the passed deadline");
		ok(bg_now_ms() - now < 2000, "... not a fresh %d ms later",
		    BG_READ_TIMEOUT_MS);
		reap(fd);
	}

	big = malloc(BG_REQ_MAX + 16);
	/* Exactly 64 KiB of JSON, then the newline: accepted. */
	memset(big, ' ', BG_REQ_MAX);
	big[0] = '{';
	big[BG_REQ_MAX - 1] = '}';
	big[BG_REQ_MAX] = '\n';
	is_int(req(big, BG_REQ_MAX + 1, 0, &err, NULL), 0,
	    "64 KiB request accepted");
	/* One byte more: refused, even though the writer keeps going. */
	memset(big, ' ', BG_REQ_MAX + 1);
	big[0] = '{';
	big[BG_REQ_MAX] = '}';
	big[BG_REQ_MAX + 1] = '\n';
	is_int(req(big, BG_REQ_MAX + 2, 0, &err, NULL), -EMSGSIZE,
	    "64 KiB + 1 refused");
	ok(strstr(err.msg, "larger than 65536") != NULL,
	    "message names the limit");
	memset(big, 'x', BG_REQ_MAX + 10);
	is_int(req(big, BG_REQ_MAX + 10, 1, &err, NULL), -EMSGSIZE,
	    "endless line refused without waiting");
	free(big);

	/* Answers round-trip through the line reader. */
	{
		int sp[2];
		struct bg_linereader lr;
		char *line;
		struct bg_err e2;

		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
		bg_proto_log(sp[0], "hello %d", 42);
		bg_proto_progress(sp[0], "copy", 5, 10);
		bg_err_set(&e2, "not_found", "no VM named \"x\"");
		bg_proto_fail(sp[0], &e2);
		close(sp[0]);
		bg_linereader_init(&lr, sp[1]);
		bg_linereader_next(&lr, &line, bg_now_ms() + 1000);
		is_str(line, "{\"event\":\"log\",\"message\":\"hello 42\"}",
		    "log event");
		bg_linereader_next(&lr, &line, bg_now_ms() + 1000);
		is_str(line,
		    "{\"event\":\"progress\",\"what\":\"copy\",\"done\":5,\"total\":10}",
		    "progress event");
		bg_linereader_next(&lr, &line, bg_now_ms() + 1000);
		is_str(line,
		    "{\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":\"no VM named \\\"x\\\"\"}}",
		    "final error line");
		is_int(bg_linereader_next(&lr, &line, bg_now_ms() + 1000), 0,
		    "EOF after final line");
		bg_linereader_free(&lr);
		close(sp[1]);
		/* The hand-written error line escapes what JSON requires. */
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
		bg_err_set(&e2, "bad_request",
		    "tab\there \\ \x01 \"q\" caf\xc3\xa9");
		bg_proto_fail(sp[0], &e2);
		close(sp[0]);
		bg_linereader_init(&lr, sp[1]);
		bg_linereader_next(&lr, &line, bg_now_ms() + 1000);
		is_str(line,
		    "{\"ok\":false,\"error\":{\"code\":\"bad_request\",\"message\":\"tab\\u0009here \\\\ \\u0001 \\\"q\\\" caf\xc3\xa9\"}}",
		    "error line escaping");
		{
			cJSON *pj = cJSON_Parse(line);
			is_str(pj ?
				cJSON_GetStringValue(
				    cJSON_GetObjectItem(cJSON_GetObjectItem(pj,
							    "error"),
					"message")) :
				NULL,
			    "tab\there \\ \x01 \"q\" caf\xc3\xa9",
			    "error line parses back to the message");
			cJSON_Delete(pj);
		}
		bg_linereader_free(&lr);
		close(sp[1]);
	}
	/* Every answer is UTF-8, whatever it was given: '?' for each bad byte. */
	{
		int sp[2];
		char line[4096];
		struct bg_err e3;
		cJSON *res;

		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
		bg_err_set(&e3, "bad_request",
		    "key \"\xff\xfe\", caf\xe9, caf\xc3\xa9, cut \xe2\x98");
		bg_proto_fail(sp[0], &e3);
		answer_line(sp[1], line, sizeof(line));
		ok(bg_utf8_valid(line, strlen(line)),
		    "an error line is UTF-8 when its message is not");
		is_str(line,
		    "{\"ok\":false,\"error\":{\"code\":\"bad_request\",\"message\":\"key \\\"??\\\", caf?, caf\xc3\xa9, cut ??\"}}",
		    "each byte that is not UTF-8 is a '?', the rest is kept");
		bg_proto_log(sp[0], "skipped %s", "/x/l\xff");
		answer_line(sp[1], line, sizeof(line));
		is_str(line,
		    "{\"event\":\"log\",\"message\":\"skipped /x/l?\"}",
		    "a log event is made UTF-8 too");
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "n\xe9", "v\xc3\xa9\x80");
		bg_proto_ok(sp[0], res);
		answer_line(sp[1], line, sizeof(line));
		is_str(line, "{\"ok\":true,\"result\":{\"n?\":\"v\xc3\xa9?\"}}",
		    "so is a result, keys and values");
		close(sp[0]);
		close(sp[1]);
	}
	is_int(bg_exit_for_code("not_found"), 1, "not_found exits 1");
	is_int(bg_exit_for_code("unknown_verb"), 100, "unknown_verb exits 100");
	is_int(bg_exit_for_code("internal"), 101, "internal exits 101");
	is_int(bg_exit_for_code("whatever"), 111, "unknown code exits 111");
	return done_testing();
}
