/*
 * serve — an accept loop that exits when idle: banger.service's main
 * program (docs/units.md, "The owner service").
 *
 *   serve [-c MAX] [-t IDLE_SECONDS] PROG [ARG...]
 *
 * systemd starts it when the first connection arrives on banger.socket
 * (Accept=no) and passes the listening socket (LISTEN_FDS=1: fd 3).  For
 * each connection it forks and execs PROG (dispatch) with the
 * connection as stdin and stdout, as Accept=yes would, but in the one
 * sandbox systemd set up for this service: the 40-70 ms a sandboxed
 * instance costs to start is paid once per burst of requests, not per
 * request.  At most MAX (64) connections are served at once; past that
 * the listening socket is not read and new connections wait in the
 * kernel's backlog.  After IDLE_SECONDS (10) with no connection and no
 * child it exits 0: nothing of banger runs while nobody asks, and the
 * next connection starts it again.  On SIGTERM (systemctl stop, with
 * KillMode=mixed: the signal reaches serve alone) it accepts nothing
 * more and exits once the requests in flight have been answered.
 *
 * It never reads a byte of a connection; the peer checks stay in
 * dispatch (SO_PEERCRED on its stdin).  Exit: 0 idle, 100 usage, 111 a
 * system call failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

#define LISTEN_FD 3

static long
number(const char *s, long lo, long hi)
{
	long v;

	if (!bg_parse_long(s, lo, hi, &v))
		strerr_dieusage(100,
		    "serve [-c MAX] [-t IDLE_SECONDS] PROG [ARG...]");
	return v;
}

/* LISTEN_PID is us and LISTEN_FDS is 1 (sd_listen_fds(3), by hand). */
static void
listen_fd(void)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (bg_listen_fds(1) != 1)
		strerr_dief1x(100,
		    "not started by a socket unit with one "
		    "listening socket (LISTEN_PID/LISTEN_FDS)");
	if (getsockopt(LISTEN_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM)
		strerr_dief1x(100, "fd 3 is not a stream socket");
	/* Nothing else its starter left open reaches a child. */
	if (close_range(LISTEN_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		strerr_diefu1sys(111, "mark fds close-on-exec");
	if (fcntl(LISTEN_FD, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(LISTEN_FD, F_SETFL, O_NONBLOCK) < 0)
		strerr_diefu1sys(111, "set up fd 3");
}

int
main(int argc, char **argv)
{
	long max = 64, idle = 10, n = 0;
	struct pollfd p[2];
	sigset_t chld, old;
	bool stopping = false, starved = false;
	int opt, sfd;

	PROG = "banger-serve";
	while ((opt = getopt(argc, argv, "+c:t:")) != -1) {
		if (opt == 'c')
			max = number(optarg, 1, 1024);
		else if (opt == 't')
			idle = number(optarg, 1, 3600);
		else
			strerr_dieusage(100,
			    "serve [-c MAX] [-t IDLE_SECONDS] PROG [ARG...]");
	}
	if (optind >= argc || argv[optind][0] != '/')
		strerr_dieusage(100,
		    "serve [-c MAX] [-t IDLE_SECONDS] /PATH/OF/PROG [ARG...]");
	listen_fd();
	/* A child's end is a readable signalfd, never an interrupted call. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigaddset(&chld, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &chld, &old) < 0 ||
	    (sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		strerr_diefu1sys(111, "set up SIGCHLD");
	p[0].fd = sfd;
	p[0].events = POLLIN;
	p[1].fd = LISTEN_FD;
	for (;;) {
		struct signalfd_siginfo si;
		int r, c;
		pid_t pid;

		if (stopping && n == 0)
			return 0;
		/*
		 * Full: leave new connections in the backlog until one ends.
		 * Out of fds with nothing in flight to free one: look again
		 * in a moment rather than spin.
		 */
		p[1].events = n < max && !stopping && !starved ? POLLIN : 0;
		r = poll(p, 2,
		    starved    ? 100 :
			n == 0 ? (int)(idle * 1000) :
				 -1);
		if (starved) {
			starved = false;
			if (r == 0)
				continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			strerr_diefu1sys(111, "poll");
		if (r == 0)
			return 0; /* idle: systemd starts us again when needed */
		if (p[0].revents & POLLIN) {
			while (read(sfd, &si, sizeof(si)) > 0)
				if (si.ssi_signo == SIGTERM)
					stopping = true;
			while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
				n--;
		}
		while (n < max && !stopping && (p[1].revents & POLLIN)) {
			c = accept4(LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0) {
				if (errno == EAGAIN || errno == ECONNABORTED ||
				    errno == EINTR)
					break;
				if (errno == EMFILE || errno == ENFILE ||
				    errno == ENOBUFS || errno == ENOMEM) {
					starved =
					    true; /* a moment, or a child's end */
					break;
				}
				strerr_diefu1sys(111, "accept");
			}
			pid = fork();
			if (pid == 0) {
				/* The connection is PROG's stdin and stdout. */
				if (sigprocmask(SIG_SETMASK, &old, NULL) < 0 ||
				    dup2(c, 0) < 0 || dup2(c, 1) < 0)
					_exit(111);
				execv(argv[optind], argv + optind);
				strerr_warnwu2sys("exec ", argv[optind]);
				_exit(errno == ENOENT ? 127 : 126);
			}
			close(c);
			if (pid < 0) {
				strerr_warnwu1sys("fork");
				break;
			}
			n++;
		}
	}
}
