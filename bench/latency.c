/*
 * latency — time N trivial operations and print the median and p90 in
 * microseconds, for bench/request-latency.
 *
 *   latency exec N PROG     fork+exec+wait PROG (the floor)
 *   latency sock N SOCKET   connect, send "vm-list\n{}\n", read the
 *                           answer to EOF, check it is an ok line
 *   latency pipe N PROG     fork+exec PROG with "{}\n" on stdin, its
 *                           answer read to EOF (a helper run by hand)
 *   latency cmd N PROG ARG...  fork+exec+wait PROG ARG... (stdout to
 *                           /dev/null), which must exit 0 (the CLI)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "banger.h"

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
one_exec(const char *prog)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return 0;
}

/* PROG with "{}\n" on stdin (pipe) or argv (cmd); its stdout read or dropped. */
static int
one_run(char **argv, bool pipe_req)
{
	int in[2], out[2], st;
	char buf[4096];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (dup2(pipe_req ? in[0] : nul, 0) < 0 ||
		    dup2(pipe_req ? out[1] : nul, 1) < 0)
			_exit(111);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pipe_req)
		(void)bg_write_all(in[1], "{}\n", 3);
	close(in[1]);
	while (read(out[0], buf, sizeof(buf)) > 0)
		;
	close(out[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return 0;
}

static int
one_request(const char *sock)
{
	static const char req[] = "vm-list\n{}\n";
	char buf[4096];
	size_t have = 0;
	ssize_t r;
	int fd = bg_unix_connect(sock);

	if (fd < 0)
		return -1;
	if (bg_write_all(fd, req, sizeof(req) - 1) < 0) {
		close(fd);
		return -1;
	}
	while ((r = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0)
		have += (size_t)r;
	close(fd);
	buf[have] = '\0';
	return strncmp(buf, "{\"ok\":true", 10) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	int64_t *t;
	long n, i;
	char *end;

	if (argc < 4 ||
	    (strcmp(argv[1], "exec") && strcmp(argv[1], "sock") &&
		strcmp(argv[1], "pipe") && strcmp(argv[1], "cmd")) ||
	    (argc != 4 && strcmp(argv[1], "cmd"))) {
		fprintf(stderr,
		    "usage: latency exec|sock|pipe N PROG|SOCKET\n"
		    "       latency cmd N PROG ARG...\n");
		return 100;
	}
	n = strtol(argv[2], &end, 10);
	if (*end || n < 1 || n > 1000000) {
		fprintf(stderr, "latency: N must be 1..1000000\n");
		return 100;
	}
	t = calloc((size_t)n, sizeof(*t));
	if (t == NULL)
		return 111;
	for (i = 0; i < n; i++) {
		int64_t s = now_us();
		int r = argv[1][0] == 'e' ? one_exec(argv[3]) :
		    argv[1][0] == 's'	  ? one_request(argv[3]) :
					    one_run(argv + 3, argv[1][0] == 'p');

		if (r < 0) {
			fprintf(stderr, "latency: iteration %ld failed\n", i);
			return 111;
		}
		t[i] = now_us() - s;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp64);
	printf("%lld %lld\n", (long long)t[n / 2], (long long)t[n * 9 / 10]);
	free(t);
	return 0;
}
