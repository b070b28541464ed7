/*
 * seccomp.c — a root helper's system call fence (docs/privileges.md,
 * "Root helpers"): after the capabilities, what uid 0 still has.
 *
 * A root helper narrowed to CAP_NET_ADMIN is still uid 0: it could
 * connect to the system bus (systemd and polkit trust uid 0, so one
 * StartTransientUnit call would run anything with every capability),
 * signal root's other processes, or submit the same calls through
 * io_uring.  The bridge, tap and nftables verbs need none of that: they
 * talk netlink (socket, bind, sendmsg), open /dev/net/tun and write
 * one /proc/sys file.  This filter makes those calls fail with EPERM
 * for good (a filter cannot be removed, and it stays across exec).
 * vmm-launch is not fenced: it starts the VM's unit over D-Bus.
 *
 * Raw classic BPF: a dozen instructions do not need libseccomp.  A call
 * from another architecture's table (i386 via int 0x80, x32) is refused
 * whole: its numbers mean other calls.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "banger.h"

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "lib/seccomp.c: add this architecture's AUDIT_ARCH_ value"
#endif

#define LOAD(field) \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define DENY_NR(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)

int
bg_seccomp_fence(void)
{
	static struct sock_filter f[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		LOAD(nr),
#ifdef X32_BIT
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
#endif
		/* To other processes: the bus, signals, memory. */
		DENY_NR(SYS_connect),
		DENY_NR(SYS_kill),
		DENY_NR(SYS_tkill),
		DENY_NR(SYS_tgkill),
		DENY_NR(SYS_rt_sigqueueinfo),
		DENY_NR(SYS_rt_tgsigqueueinfo),
		DENY_NR(SYS_pidfd_open),
		DENY_NR(SYS_pidfd_send_signal),
		DENY_NR(SYS_pidfd_getfd),
		DENY_NR(SYS_process_vm_readv),
		DENY_NR(SYS_process_vm_writev),
		DENY_NR(SYS_ptrace),
		/* The same calls by another road: io_uring, new namespaces. */
		DENY_NR(SYS_io_uring_setup),
		DENY_NR(SYS_io_uring_enter),
		DENY_NR(SYS_io_uring_register),
		DENY_NR(SYS_unshare),
		DENY_NR(SYS_setns),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]),
		.filter = f };

	/* no_new_privs first: the kernel requires it of an unprivileged caller. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
}
