/*
 * https-get — drives lib/https.c for t/0050-https.t (not a TAP program:
 * the test runs it against its own HTTPS server and checks the output).
 *
 *   https-get [--ca FILE] [--proxy URL] [--no-proxy LIST] [--offset N]
 *       [--idle-ms N] [--connect-ms N] [--read-size N]
 *       [--accept TYPES] [--auth VALUE] [--keep-401] URL
 *   https-get --no-proxy-match LIST HOST    exit 0 on a match, else 1
 *
 * The body goes to stdout; a summary line to stderr: "status S start N
 * length L total T url U", then one "header NAME: VALUE" line for each
 * of Content-Type, Docker-Content-Digest and WWW-Authenticate present.
 * On an error, "https-get: CODE: MESSAGE" on
 * stderr and the exit code of CODE (100 bad_request, 1 not_found, 111
 * temporary).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"
#include "https.h"

static int
fail(const struct bg_err *err)
{
	fprintf(stderr, "https-get: %s: %s\n", err->code, err->msg);
	return bg_exit_for_code(err->code);
}

static int
number(const char *s, uint64_t *v)
{
	char *e;

	errno = 0;
	*v = strtoull(s, &e, 10);
	return errno == 0 && *s != '\0' && *e == '\0' && *s != '-' ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "proxy", required_argument, NULL, 'p' },
		{ "no-proxy", required_argument, NULL, 'n' },
		{ "offset", required_argument, NULL, 'o' },
		{ "idle-ms", required_argument, NULL, 'i' },
		{ "connect-ms", required_argument, NULL, 't' },
		{ "read-size", required_argument, NULL, 'r' },
		{ "no-proxy-match", no_argument, NULL, 'm' },
		{ "accept", required_argument, NULL, 'a' },
		{ "auth", required_argument, NULL, 'z' },
		{ "keep-401", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const shown[] = { "Content-Type",
		"Docker-Content-Digest", "WWW-Authenticate" };
	struct bg_https_opts o = { 0 };
	struct bg_https_req rq = { 0 };
	struct bg_https *h;
	struct bg_err err = { "", "" };
	uint64_t offset = 0, v, rsize = 65536, got = 0;
	bool match = false;
	char *buf;
	int c, r;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.ca_file = optarg;
			break;
		case 'p':
			o.proxy = optarg;
			break;
		case 'n':
			o.no_proxy = optarg;
			break;
		case 'm':
			match = true;
			break;
		case 'a':
			rq.accept = optarg;
			break;
		case 'z':
			rq.authorization = optarg;
			break;
		case 'k':
			rq.keep_401 = true;
			break;
		case 'o':
		case 'i':
		case 't':
		case 'r':
			if (number(optarg, &v) < 0 ||
			    (c != 'o' && (v == 0 || v > 1u << 30))) {
				fprintf(stderr, "https-get: bad number %s\n",
				    optarg);
				return 100;
			}
			if (c == 'o')
				offset = v;
			else if (c == 'i')
				o.idle_timeout_ms = (int)v;
			else if (c == 't')
				o.connect_timeout_ms = (int)v;
			else
				rsize = v;
			break;
		default:
			return 100;
		}
	}
	if (match) {
		if (argc - optind != 2)
			return 100;
		return bg_https_no_proxy(argv[optind], argv[optind + 1]) ? 0 :
									   1;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: https-get [options] URL\n");
		return 100;
	}
	r = bg_https_request(argv[optind], offset, &rq, &o, &h, &err);
	if (r < 0)
		return fail(&err);
	fprintf(stderr,
	    "status %d start %" PRIu64 " length %" PRId64 " total %" PRId64
	    " url %s\n",
	    bg_https_status(h), bg_https_start(h), bg_https_length(h),
	    bg_https_total(h), bg_https_url(h));
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (bg_https_header(h, shown[i]) != NULL)
			fprintf(stderr, "header %s: %s\n", shown[i],
			    bg_https_header(h, shown[i]));
	buf = malloc(rsize);
	if (buf == NULL) {
		bg_https_close(h);
		return 111;
	}
	for (;;) {
		ssize_t n = bg_https_read(h, buf, rsize, &err);

		if (n == 0)
			break;
		if (n < 0) {
			/* Sticky: the same error again. */
			struct bg_err again = { "", "" };

			if (bg_https_read(h, buf, rsize, &again) != n ||
			    strcmp(again.msg, err.msg) != 0) {
				fprintf(stderr, "https-get: not sticky\n");
				r = 101;
			} else {
				r = fail(&err);
			}
			free(buf);
			bg_https_close(h);
			return r;
		}
		if (bg_write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
			perror("https-get: write");
			free(buf);
			bg_https_close(h);
			return 111;
		}
		got += (uint64_t)n;
	}
	/* After the end, 0 again. */
	r = bg_https_read(h, buf, rsize, &err) == 0 ? 0 : 101;
	if (bg_https_length(h) >= 0 && got != (uint64_t)bg_https_length(h))
		r = 101;
	free(buf);
	bg_https_close(h);
	return r;
}
