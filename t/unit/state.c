/* Unit tests: atomic writes, locks, JSON state files. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banger.h"
#include "tap.h"

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' ||
		    (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
			n++;
	if (d)
		closedir(d);
	return n;
}

int
main(void)
{
	char tmpl[] = "/tmp/banger-state.XXXXXX", p[PATH_MAX], lp[PATH_MAX];
	char *buf = NULL;
	struct stat st;
	size_t len;
	int dfd, fd, ld, r;
	char *dir = mkdtemp(tmpl);

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	is_int(bg_atomic_write(dfd, "f", "one\n", 4, 0640), 0, "atomic write");
	bg_read_file(dfd, "f", 100, &buf, &len);
	is_str(buf, "one\n", "content written");
	free(buf);
	fstatat(dfd, "f", &st, 0);
	is_int(st.st_mode & 07777, 0640, "mode as asked, whatever the umask");
	is_int(bg_atomic_write(dfd, "f", "two\n", 4, 0600), 0,
	    "atomic replace");
	bg_read_file(dfd, "f", 100, &buf, &len);
	is_str(buf, "two\n", "content replaced");
	free(buf);
	is_int(count_entries(dir), 1, "no temp file left behind");
	is_int(bg_atomic_write(dfd, "a/b", "x", 1, 0600), -EINVAL,
	    "slash in name refused");

	/* A write that fails half-way (file size limit) leaves the old file. */
	{
		struct rlimit rl, old;
		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &old);
		rl = old;
		rl.rlim_cur = 2;
		setrlimit(RLIMIT_FSIZE, &rl);
		r = bg_atomic_write(dfd, "f", "three\n", 6, 0600);
		setrlimit(RLIMIT_FSIZE, &old);
		is_int(r, -EFBIG, "failed write reports -EFBIG");
		bg_read_file(dfd, "f", 100, &buf, &len);
		is_str(buf, "two\n", "old content intact after a failed write");
		free(buf);
		is_int(count_entries(dir), 1,
		    "failed write leaves no temp file");
	}
	snprintf(p, sizeof(p), "%s/sub/g", dir);
	is_int(bg_atomic_write_path(p, "x", 1, 0600), -ENOENT,
	    "missing directory: -ENOENT");
	snprintf(p, sizeof(p), "%s/g", dir);
	is_int(bg_atomic_write_path(p, "x", 1, 0600), 0,
	    "atomic write by path");

	/* bg_read_file caps. */
	is_int(bg_read_file(dfd, "f", 3, &buf, &len), -EFBIG,
	    "read over the cap: -EFBIG");
	is_int(bg_read_file(dfd, "f", 4, &buf, &len), 0, "read at the cap");
	free(buf);

	/* JSON state. */
	{
		cJSON *o = cJSON_CreateObject(), *back = NULL;
		cJSON_AddStringToObject(o, "name", "a");
		is_int(bg_json_write_file(dfd, "vm.json", o, 0600), 0,
		    "json written");
		is_int(bg_json_read_file(dfd, "vm.json", 1000, &back), 0,
		    "json read back");
		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(back, "name")),
		    "a", "json content");
		cJSON_Delete(o);
		cJSON_Delete(back);
		bg_atomic_write(dfd, "bad.json", "{\"a\":1} junk", 12, 0600);
		is_int(bg_json_read_file(dfd, "bad.json", 1000, &back),
		    -EBADMSG, "junk after JSON refused");
		bg_atomic_write(dfd, "arr.json", "[]", 2, 0600);
		is_int(bg_json_read_file(dfd, "arr.json", 1000, &back),
		    -EBADMSG, "non-object refused");
	}

	/* Locks. */
	snprintf(lp, sizeof(lp), "%s/lock", dir);
	ld = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	is_int(bg_lock_held_at(ld, "lock"), 0, "absent lock is free");
	fd = bg_lock_at(ld, "lock", 0);
	ok(fd >= 0, "lock taken");
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "lock fd is O_CLOEXEC");
	is_int(bg_lock_held_at(ld, "lock"), 1, "lock seen held");
	is_int(bg_lock_at(ld, "lock", BG_LOCK_NB), -EWOULDBLOCK,
	    "second taker gets -EWOULDBLOCK");
	close(fd);
	is_int(bg_lock_held_at(ld, "lock"), 0, "closed fd frees the lock");

	/* Held across exec: the lock lives exactly as long as the program. */
	{
		int pfd[2];
		char c;
		pid_t pid;

		pipe2(pfd, O_CLOEXEC);
		pid = fork();
		if (pid == 0) {
			int l = bg_lock_at(ld, "lock", 0);
			bg_fd_inherit(l);
			write(pfd[1], "x", 1);
			execl("/bin/sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		close(pfd[1]);
		read(pfd[0], &c, 1);
		/* EOF: the pipe is O_CLOEXEC, so the child has exec'd. */
		while (read(pfd[0], &c, 1) > 0)
			;
		close(pfd[0]);
		is_int(bg_lock_held_at(ld, "lock"), 1,
		    "lock held by the exec'd program");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		is_int(bg_lock_held_at(ld, "lock"), 0,
		    "lock free once the program is killed");
	}
	/* Without bg_fd_inherit, exec drops the lock (O_CLOEXEC). */
	{
		int pfd[2];
		char c;
		pid_t pid;

		pipe2(pfd, O_CLOEXEC);
		pid = fork();
		if (pid == 0) {
			int l = bg_lock_at(ld, "lock", 0);
			/* Held before exec... */
			write(pfd[1],
			    l >= 0 && bg_lock_held_at(ld, "lock") == 1 ? "y" :
									 "n",
			    1);
			execl("/bin/sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		close(pfd[1]);
		read(pfd[0], &c, 1);
		is_int(c, 'y', "child held the lock before exec");
		{
			char d;
			ssize_t n = read(pfd[0], &d, 1); /* EOF once exec'd */
			is_int(n, 0, "child exec'd");
		}
		close(pfd[0]);
		is_int(bg_lock_held_at(ld, "lock"), 0,
		    "CLOEXEC lock is dropped at exec");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	/* A VM's run directory under BANGER_ROOT, and its lock. */
	setenv("BANGER_ROOT", dir, 1);
	snprintf(p, sizeof(p), "%s/run/banger/vms/vm1", dir);
	bg_mkdir_p(p, 0755);
	{
		int vd = bg_vm_dir(BG_DIR_RUN, "vm1");

		ok(vd >= 0, "VM run directory opened beneath RUN");
		fd = bg_lock_at(vd, "lock", BG_LOCK_NB);
		ok(fd >= 0, "vm lock taken under BANGER_ROOT");
		snprintf(p, sizeof(p), "%s/run/banger/vms/vm1/lock", dir);
		ok(access(p, F_OK) == 0, "vm lock at RUN/vms/<name>/lock");
		is_int(bg_lock_held_at(vd, "lock"), 1, "vm lock seen held");
		is_int(bg_lock_at(vd, "lock", BG_LOCK_NB), -EWOULDBLOCK,
		    "vm lock busy");
		close(fd);
		close(vd);
	}
	is_int(bg_vm_dir(BG_DIR_RUN, "../x"), -EINVAL,
	    "VM directory: a bad name is refused");
	/* A symlink planted in the state tree is never followed. */
	{
		char t[PATH_MAX], l2[PATH_MAX];
		snprintf(t, sizeof(t), "%s/elsewhere", dir);
		mkdir(t, 0755);
		snprintf(l2, sizeof(l2), "%s/run/banger/vms/evil", dir);
		symlink(t, l2);
		r = bg_vm_dir(BG_DIR_RUN, "evil");
		ok(r == -ELOOP || r == -ENOTDIR,
		    "a symlinked VM directory is refused");
		snprintf(l2, sizeof(l2), "%s/run/banger/vms/vm1/vm.json", dir);
		symlink("/etc/passwd", l2);
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		is_int(bg_read_file(fd, "run/banger/vms/vm1/vm.json", 4096,
			   &buf, &len),
		    -ELOOP, "state read refuses a symlink");
		is_int(bg_read_file(fd, "../etc/passwd", 4096, &buf, &len),
		    -EXDEV, "state read refuses ..");
		close(fd);
		snprintf(l2, sizeof(l2), "%s/fifo", dir);
		mkfifo(l2, 0600);
		is_int(bg_read_file(AT_FDCWD, l2, 4096, &buf, &len), -EINVAL,
		    "a FIFO is refused, not waited on");
	}
	fd = bg_lock_global(0);
	ok(fd >= 0, "global lock taken");
	{
		char sd[PATH_MAX];
		int sfd;

		snprintf(sd, sizeof(sd), "%s/var/lib/banger", dir);
		sfd = open(sd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		is_int(bg_lock_held_at(sfd, "lock"), 1,
		    "global lock at STATE/lock");
		close(sfd);
	}
	close(fd);

	close(dfd);
	{
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		r = system(cmd);
		(void)r;
	}
	return done_testing();
}
