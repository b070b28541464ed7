/*
 * run.c — run a host program (mkfs.ext4, systemd-run) by absolute path,
 * without a shell, stdin from /dev/null, stdout discarded, the first
 * bytes of stderr kept for the error message, with a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banger.h"

int
bg_fork_pipe(int p[2], struct bg_err *err)
{
	pid_t pid;
	int r;

	if (pipe2(p, O_CLOEXEC) < 0) {
		r = -errno;
		bg_err_set(err, "temporary", "pipe: %s", strerror(-r));
		return r;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		bg_err_set(err, "temporary", "fork: %s", strerror(-r));
		return r;
	}
	return (int)pid;
}

int
bg_run(char *const argv[], int timeout_ms, struct bg_err *err)
{
	char msg[512];
	size_t have = 0;
	int p[2], st, r;
	int64_t deadline = bg_now_ms() + timeout_ms;
	pid_t pid;

	pid = bg_fork_pipe(p, err);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(p[1], 2) < 0)
			_exit(126);
		setpgid(0, 0);
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		char buf[256];
		ssize_t n = bg_read_deadline(p[0], buf, sizeof(buf), deadline);

		if (n <= 0) {
			r = (int)n;
			break;
		}
		if (have < sizeof(msg) - 1) {
			size_t k = (size_t)n < sizeof(msg) - 1 - have ?
			    (size_t)n :
			    sizeof(msg) - 1 - have;
			memcpy(msg + have, buf, k);
			have += k;
		}
	}
	close(p[0]);
	msg[have] = '\0';
	while (have > 0 && (msg[have - 1] == '\n' || msg[have - 1] == ' '))
		msg[--have] = '\0';
	if (r == -ETIMEDOUT)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r == -ETIMEDOUT) {
		bg_err_set(err, "temporary", "%s took too long and was killed",
		    argv[0]);
		return r;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	bg_err_set(err, "temporary", "%s failed (%s %d)%s%s", argv[0],
	    WIFEXITED(st) ? "exit" : "signal",
	    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), have ? ": " : "",
	    msg);
	return -EIO;
}
