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
	is_int(bg_exit_for_code("not_found"), 1, "not_found exits 1");
	is_int(bg_exit_for_code("unknown_verb"), 100, "unknown_verb exits 100");
	is_int(bg_exit_for_code("internal"), 101, "internal exits 101");
	is_int(bg_exit_for_code("whatever"), 111, "unknown code exits 111");
	return done_testing();
}
