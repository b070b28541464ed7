/*
 * runstat — run a command and print its wall time and the peak RSS of
 * everything it started: "ms=N rss_kib=N status=N" on stderr.
 * (bench/pull: a pipeline's peak is its largest process's.)
 *
 * usage: build/bench/runstat CMD [ARG...]
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	pid_t pid;
	int st = 0;

	if (argc < 2) {
		fputs("usage: runstat CMD [ARG...]\n", stderr);
		return 100;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 111;
	clock_gettime(CLOCK_MONOTONIC, &b);
	getrusage(RUSAGE_CHILDREN, &ru);
	fprintf(stderr, "ms=%lld rss_kib=%ld status=%d\n",
	    (long long)(b.tv_sec - a.tv_sec) * 1000 +
		(b.tv_nsec - a.tv_nsec) / 1000000,
	    ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 111;
}
