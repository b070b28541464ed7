/*
 * call.c — bg_call against servers that never answer properly: every
 * call ends by its deadline (lib/call.c, lib/unix-connect.c).  What
 * system uninstall relies on when it asks the owner's socket, which the
 * owner controls (docs/install.md).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banger.h"
#include "tap.h"

static char dir[] = "/tmp/banger-call.XXXXXX";

/* A listening socket at dir/name with backlog n; its fd. */
static int
listener(const char *name, int n, char *path, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(path, len, "%s/%s", dir, name);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, n) < 0)
		return -1;
	return fd;
}

int
main(void)
{
	char path[100];
	cJSON *req = cJSON_CreateObject(), *res = NULL;
	struct bg_err err;
	int64_t t0, took;
	int lfd, i, r, c[8];
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		return 111;
	cJSON_AddNumberToObject(req, "v", 1);

	/*
	 * A stopped server: nobody accepts, the backlog is full, so a
	 * blocking connect would wait for ever.
	 */
	lfd = listener("full.sock", 0, path, sizeof(path));
	ok(lfd >= 0, "a listener with a backlog of 0");
	for (i = 0; i < 8; i++) {
		c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		if (connect(c[i], (struct sockaddr *)&sa, sizeof(sa)) < 0)
			break;
	}
	ok(i < 8, "its backlog fills up (%d connections)", i);
	memset(&err, 0, sizeof(err));
	t0 = bg_now_ms();
	r = bg_call(path, "vm-list", req, 300, NULL, NULL, &res, &err);
	took = bg_now_ms() - t0;
	ok(r < 0 && res == NULL, "a full backlog: the call fails (%s)",
	    err.msg);
	ok(took >= 250 && took < 5000,
	    "...after its 300 ms deadline, not later (%lld ms)",
	    (long long)took);
	close(lfd);

	/* A server that accepts, then trickles events and never answers. */
	lfd = listener("trickle.sock", 4, path, sizeof(path));
	pid = fork();
	if (pid == 0) {
		int a = accept(lfd, NULL, NULL);
		char buf[256];

		(void)read(a, buf, sizeof(buf));
		for (;;) {
			static const char ev[] =
			    "{\"event\":\"log\",\"message\":\"x\"}\n";

			if (write(a, ev, sizeof(ev) - 1) < 0)
				_exit(0);
			usleep(50000);
		}
	}
	memset(&err, 0, sizeof(err));
	t0 = bg_now_ms();
	r = bg_call(path, "vm-list", req, 400, NULL, NULL, &res, &err);
	took = bg_now_ms() - t0;
	ok(r < 0 && res == NULL, "events that never end: the call fails (%s)",
	    err.msg);
	ok(took >= 350 && took < 5000,
	    "...after its 400 ms deadline: events do not extend it (%lld ms)",
	    (long long)took);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(lfd);

	cJSON_Delete(req);
	snprintf(path, sizeof(path), "%s/full.sock", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/trickle.sock", dir);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
