/*
 * Copyright (c) 2026 The netbirdd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * For every child, confine a forked process the way the real child is
 * confined (chroot to an empty directory and become nobody when run as
 * root, then sandbox_apply()), make one call, and check how it ended:
 * killed by SIGSYS, refused with the errno of a soft refusal, or allowed.
 * The "work" action (sandbox_work.c) runs what the child exists for
 * against this program, which plays the parent and the servers.
 *
 * usage: sandbox_test [proc [action]]
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "netbirdd.h"
#include "sandbox_test.h"

#ifdef NBD_SANITIZE
#define VARIANT		" (asan+ubsan)"
#else
#define VARIANT		""
#endif

struct outcome {
	int		 sig;		/* killed by this signal, or 0 */
	int		 status;	/* else exits with 0 or an errno */
	const char	*text;		/* NULL: "refused with <errno>" */
};

#define KILLED		{ SIGSYS, 0, "killed by SIGSYS" }
#define ABORTS		{ SIGABRT, 0, "dies by SIGABRT, not SIGSYS" }
#define ALLOWED		{ 0, 0, "allowed" }
#define REFUSED(e)	{ 0, (e), NULL }

struct action {
	const char	*name;
	const char	*what;
	int		(*fn)(enum nbd_proc);	/* child: 0 or an errno */
	struct outcome	 want;
	unsigned int	 procs;			/* those get other */
	struct outcome	 other;
	void		(*prepare)(enum nbd_proc); /* child, unconfined */
	int		(*peer)(enum nbd_proc, pid_t); /* here, meanwhile */
	const char	*logmsg;		/* in the child's stderr */
};

#define ACT(n, w, f, o)		{ n, w, f, o, 0, o, NULL, NULL, NULL }
#define ACT2(n, w, f, o, p, o2)	{ n, w, f, o, p, o2, NULL, NULL, NULL }

/* The sanitizer build refuses read-only opens softly: see sandbox.c. */
#ifdef NBD_SANITIZE
#define OPEN_READ	REFUSED(ENOENT)
#else
#define OPEN_READ	KILLED
#endif

static void	setup(void);
static void	setup_ia32(void);
static void	cleanup(void);
static int	run(enum nbd_proc, const struct action *);
static int	outcome_match(int, const struct outcome *);
static void	outcome_print(int, const struct outcome *, char *, size_t);
static void	status_print(int, int, char *, size_t);
static int	reap(pid_t);
static int	log_has(const char *);
static void	log_dump(void);
static __dead void child(enum nbd_proc, const struct action *);
static void	confine(enum nbd_proc);
static int	ret(long);
static int	retfd(long);
static long	int80(long, long);
static void	*thread_main(void *);

static int	act_open_write(enum nbd_proc);
static int	act_open_rdwr(enum nbd_proc);
static int	act_open_creat(enum nbd_proc);
static int	act_open_read(enum nbd_proc);
static int	act_open_legacy(enum nbd_proc);
static int	act_execve(enum nbd_proc);
static int	act_fork(enum nbd_proc);
static int	act_thread(enum nbd_proc);
static int	act_ptrace(enum nbd_proc);
static int	act_process_vm(enum nbd_proc);
static int	act_socket_raw(enum nbd_proc);
static int	act_socket_raw_flags(enum nbd_proc);
static int	act_socket_icmp(enum nbd_proc);
static int	act_socket_netlink(enum nbd_proc);
static int	act_socket_packet(enum nbd_proc);
static int	act_socket_unix(enum nbd_proc);
static int	act_socket_tcp(enum nbd_proc);
static int	act_socket_udp(enum nbd_proc);
static int	act_socket_udp6(enum nbd_proc);
static int	act_socket_sctp(enum nbd_proc);
static int	act_socketpair(enum nbd_proc);
static int	act_socketpair_inet(enum nbd_proc);
static int	act_connect(enum nbd_proc);
static int	act_bind(enum nbd_proc);
static int	act_listen(enum nbd_proc);
static int	act_accept4(enum nbd_proc);
static int	act_setsockopt_ulp(enum nbd_proc);
static int	act_setsockopt_filter(enum nbd_proc);
static int	act_setsockopt_hdrincl(enum nbd_proc);
static int	act_peercred(enum nbd_proc);
static int	act_mmap_exec(enum nbd_proc);
static int	act_mprotect_exec(enum nbd_proc);
static int	act_setuid(enum nbd_proc);
static int	act_chroot(enum nbd_proc);
static int	act_kill(enum nbd_proc);
static int	act_tgkill(enum nbd_proc);
static int	act_ioctl(enum nbd_proc);
static int	act_mount(enum nbd_proc);
static int	act_unshare(enum nbd_proc);
static int	act_bpf(enum nbd_proc);
static int	act_perf(enum nbd_proc);
static int	act_userfaultfd(enum nbd_proc);
static int	act_io_uring(enum nbd_proc);
static int	act_keyctl(enum nbd_proc);
static int	act_personality(enum nbd_proc);
static int	act_x32(enum nbd_proc);
static int	act_i386_execve(enum nbd_proc);
static int	act_i386_getpid(enum nbd_proc);
static int	act_abort(enum nbd_proc);
#ifdef NBD_SANITIZE
static int	act_asan(enum nbd_proc);
static int	act_ubsan(enum nbd_proc);
#endif

static const char *const names[PROC_MAX] = {
	"parent", "mgmt", "signal", "ice", "metrics", "control", "dns"
};

static const struct action actions[] = {
	ACT("open-write", "open for writing", act_open_write, KILLED),
	ACT("open-rdwr", "open(/etc/hosts, O_RDWR)", act_open_rdwr, KILLED),
	ACT("open-creat", "open(O_RDONLY | O_CREAT)", act_open_creat,
	    KILLED),
	ACT2("open-read", "open(/etc/passwd, O_RDONLY)", act_open_read,
	    OPEN_READ, P(PROC_DNS), ALLOWED),
	ACT("open-legacy", "open(2) system call", act_open_legacy, OPEN_READ),
	ACT("execve", "execve", act_execve, KILLED),
	ACT("fork", "fork", act_fork, KILLED),
	ACT("thread", "pthread_create", act_thread, KILLED),
	ACT("ptrace", "ptrace", act_ptrace, KILLED),
	ACT("process-vm", "process_vm_readv", act_process_vm, KILLED),
	ACT("socket-raw", "socket(AF_INET, SOCK_RAW)", act_socket_raw,
	    KILLED),
	ACT("socket-raw-flags",
	    "socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, UDP)",
	    act_socket_raw_flags, KILLED),
	ACT("socket-icmp", "socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)",
	    act_socket_icmp, KILLED),
	ACT2("socket-netlink", "socket(AF_NETLINK)", act_socket_netlink,
	    KILLED, P(PROC_DNS), REFUSED(EACCES)),
	ACT("socket-packet", "socket(AF_PACKET)", act_socket_packet, KILLED),
	ACT("socket-unix", "socket(AF_UNIX)", act_socket_unix,
	    REFUSED(EACCES)),
	ACT2("socket-tcp", "socket(AF_INET6, SOCK_STREAM)", act_socket_tcp,
	    KILLED, TCP_PROCS | P(PROC_DNS), ALLOWED),
	ACT2("socket-udp", "socket(AF_INET, SOCK_DGRAM)", act_socket_udp,
	    KILLED, P(PROC_ICE) | P(PROC_DNS), ALLOWED),
	ACT2("socket-udp6",
	    "socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, UDP)",
	    act_socket_udp6, KILLED, P(PROC_ICE) | P(PROC_DNS), ALLOWED),
	ACT("socket-sctp", "socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP)",
	    act_socket_sctp, KILLED),
	ACT2("socketpair", "socketpair(AF_UNIX)", act_socketpair, KILLED,
	    P(PROC_ICE), ALLOWED),
	ACT("socketpair-inet", "socketpair(AF_INET)", act_socketpair_inet,
	    KILLED),
	ACT2("connect", "connect", act_connect, KILLED,
	    TCP_PROCS | P(PROC_DNS), REFUSED(EBADF)),
	ACT2("bind", "bind", act_bind, KILLED, P(PROC_ICE), REFUSED(EBADF)),
	ACT("listen", "listen", act_listen, KILLED),
	ACT2("accept4", "accept4", act_accept4, KILLED,
	    P(PROC_METRICS) | P(PROC_CONTROL), REFUSED(EBADF)),
	ACT("setsockopt-ulp", "setsockopt(TCP_ULP)", act_setsockopt_ulp,
	    KILLED),
	ACT("setsockopt-filter", "setsockopt(SO_DETACH_FILTER)",
	    act_setsockopt_filter, KILLED),
	ACT("setsockopt-hdrincl", "setsockopt(IP_HDRINCL)",
	    act_setsockopt_hdrincl, KILLED),
	ACT2("peercred", "getsockopt(SO_PEERCRED)", act_peercred, KILLED,
	    P(PROC_CONTROL), REFUSED(EBADF)),
	ACT("mmap-exec", "mmap(PROT_EXEC)", act_mmap_exec, KILLED),
	ACT("mprotect-exec", "mprotect(PROT_EXEC)", act_mprotect_exec,
	    KILLED),
	ACT("setuid", "setuid(0)", act_setuid, KILLED),
	ACT("chroot", "chroot", act_chroot, KILLED),
	ACT("kill", "kill(1, 0)", act_kill, KILLED),
	ACT("tgkill", "tgkill(1, 1, SIGABRT)", act_tgkill, KILLED),
	ACT("ioctl", "ioctl(TIOCSTI)", act_ioctl, KILLED),
	ACT("mount", "mount", act_mount, KILLED),
	ACT("unshare", "unshare(CLONE_NEWUSER)", act_unshare, KILLED),
	ACT("bpf", "bpf", act_bpf, KILLED),
	ACT("perf", "perf_event_open", act_perf, KILLED),
	ACT("userfaultfd", "userfaultfd", act_userfaultfd, KILLED),
	ACT("io-uring", "io_uring_setup", act_io_uring, KILLED),
	ACT("keyctl", "keyctl", act_keyctl, KILLED),
	ACT("personality", "personality", act_personality, KILLED),
	ACT("x32", "x32 getpid", act_x32, KILLED),
	ACT("i386-execve", "int 0x80 execve (munmap's number on x86_64)",
	    act_i386_execve, KILLED),
	ACT("i386-getpid", "int 0x80 getpid", act_i386_getpid, KILLED),
	ACT("abort", "abort()", act_abort, ABORTS),
#ifdef NBD_SANITIZE
	{ "asan", "ASan heap-buffer-overflow report", act_asan,
	    { 0, 1, "reported, exit 1" }, 0, { 0, 0, NULL }, NULL, NULL,
	    "heap-buffer-overflow" },
	{ "ubsan", "UBSan signed overflow report", act_ubsan,
	    { 0, 0, "reported" }, 0, { 0, 0, NULL }, NULL, NULL,
	    "runtime error: signed integer overflow" },
#endif
	{ "work", "allowed work", work_main,
	    { 0, 0, "runs to completion" }, 0, { 0, 0, NULL },
	    work_prepare, work_peer, WORK_DONE },
};

struct env	 env;

int
main(int argc, char *argv[])
{
	const char	*pname = NULL, *aname = NULL;
	size_t		 i;
	int		 p, failed = 0, matched = 0;

	if (argc > 3) {
		fprintf(stderr, "usage: sandbox_test [proc [action]]\n");
		return 2;
	}
	if (argc > 1)
		pname = argv[1];
	if (argc > 2)
		aname = argv[2];

	setup();
	for (p = PROC_PARENT + 1; p < PROC_MAX; p++) {
		if (pname != NULL && strcmp(pname, names[p]) != 0)
			continue;
		for (i = 0; i < nitems(actions); i++) {
			if (aname != NULL && strcmp(aname, actions[i].name))
				continue;
			matched++;
			if (!run(p, &actions[i]))
				failed++;
		}
	}
	cleanup();
	if (matched == 0) {
		fprintf(stderr, "sandbox_test: nothing matches\n");
		return 2;
	}
	return failed ? 1 : 0;
}

static void
setup(void)
{
	struct passwd	*pw;

	log_init(1, LOG_DAEMON);
	log_procinit("sandbox_test");
	env.pid = getpid();
	env.self_uid = getuid();
	env.root_user = geteuid() == 0;
	if (env.root_user) {
		if ((pw = getpwnam(NBD_USER_FALLBACK)) == NULL)
			fatalx("no user %s", NBD_USER_FALLBACK);
		env.uid = pw->pw_uid;
		env.gid = pw->pw_gid;
	} else
		printf("skip - chroot and change of user: not root\n");

	strlcpy(env.dir, "/tmp/nbd-sandbox.XXXXXX", sizeof(env.dir));
	if (mkdtemp(env.dir) == NULL)
		fatal("mkdtemp");
	if (chmod(env.dir, 0755) == -1)
		fatal("chmod %s", env.dir);
	snprintf(env.root, sizeof(env.root), "%s/empty", env.dir);
	snprintf(env.log, sizeof(env.log), "%s/stderr", env.dir);
	snprintf(env.written, sizeof(env.written), "%s/written", env.dir);
	if (mkdir(env.root, 0755) == -1)
		fatal("mkdir %s", env.root);
	/* A regular file: children must be able to log to one. */
	if ((env.logfd = open(env.log, O_RDWR | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0644)) == -1)
		fatal("open %s", env.log);
	setup_ia32();
	work_setup();
	signal(SIGPIPE, SIG_IGN);
}

/* Whether int 0x80 reaches the kernel's 32-bit entry at all. */
static void
setup_ia32(void)
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		_exit(int80(20, 0) == getpid() ? 0 : 1);	/* getpid */
	status = reap(pid);
	env.ia32 = WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
cleanup(void)
{
	work_cleanup();
	unlink(env.log);
	unlink(env.written);
	rmdir(env.root);
	rmdir(env.dir);
}

/* One child, one action; prints one line.  Returns 1 when as expected. */
static int
run(enum nbd_proc proc, const struct action *a)
{
	const struct outcome	*want;
	char			 expect[128], got[128];
	pid_t			 pid;
	int			 status, ok = 1;

	want = (a->procs & P(proc)) ? &a->other : &a->want;
	outcome_print(-1, want, expect, sizeof(expect));
	if ((a->fn == act_i386_execve || a->fn == act_i386_getpid) &&
	    !env.ia32) {
		printf("skip - %s%s: %s: no ia32 emulation\n", names[proc],
		    VARIANT, a->what);
		return 1;
	}
	if (ftruncate(env.logfd, 0) == -1)
		fatal("ftruncate");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, env.sp) == -1)
		fatal("socketpair");
	fflush(stdout);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		child(proc, a);
	close(env.sp[1]);
	if (a->peer != NULL && !a->peer(proc, pid))
		ok = 0;
	status = reap(pid);
	close(env.sp[0]);

	if (!outcome_match(status, want))
		ok = 0;
	if (a->logmsg != NULL && !log_has(a->logmsg))
		ok = 0;
	if (ok) {
		printf("ok - %s%s: %s %s\n", names[proc], VARIANT, a->what,
		    expect);
		return 1;
	}
	outcome_print(status, want, got, sizeof(got));
	printf("not ok - %s%s: %s %s: %s\n", names[proc], VARIANT, a->what,
	    expect, got);
	log_dump();
	return 0;
}

static int
outcome_match(int status, const struct outcome *want)
{
	if (want->sig != 0)
		return WIFSIGNALED(status) && WTERMSIG(status) == want->sig;
	return WIFEXITED(status) && WEXITSTATUS(status) == want->status;
}

/* The expected outcome (status -1), or what happened. */
static void
outcome_print(int status, const struct outcome *want, char *buf,
    size_t len)
{
	if (status != -1)
		status_print(WIFSIGNALED(status), WIFSIGNALED(status) ?
		    WTERMSIG(status) : WEXITSTATUS(status), buf, len);
	else if (want->text != NULL)
		strlcpy(buf, want->text, len);
	else
		snprintf(buf, len, "refused with %s",
		    strerrorname_np(want->status));
}

static void
status_print(int signaled, int n, char *buf, size_t len)
{
	if (signaled)
		snprintf(buf, len, "got signal %s", sigabbrev_np(n));
	else if (n != 0 && n < FAIL_SETUP && strerrorname_np(n) != NULL)
		snprintf(buf, len, "got exit %d (%s?)", n,
		    strerrorname_np(n));
	else
		snprintf(buf, len, "got exit %d", n);
}

/* waitpid with a deadline; a child that hangs is killed. */
static int
reap(pid_t pid)
{
	int	 i, status;

	for (i = 0; i < TIMEOUT_MS / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(10000);
	}
	printf("# child %ld hangs: killed\n", (long)pid);
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) == -1)
		fatal("waitpid");
	return status;
}

static int
log_has(const char *s)
{
	static char	 buf[65536];
	ssize_t		 n;

	if ((n = pread(env.logfd, buf, sizeof(buf) - 1, 0)) == -1)
		fatal("pread");
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

static void
log_dump(void)
{
	char	 buf[4096], *line, *p;
	ssize_t	 n;

	if ((n = pread(env.logfd, buf, sizeof(buf) - 1, 0)) <= 0)
		return;
	buf[n] = '\0';
	for (p = buf; (line = strsep(&p, "\n")) != NULL; )
		if (*line != '\0')
			printf("# %s\n", line);
}

/* In the child: set up as the real child does, confine, act. */
static __dead void
child(enum nbd_proc proc, const struct action *a)
{
	close(env.sp[0]);
	if (dup2(env.logfd, STDERR_FILENO) == -1)
		_exit(127);
	log_procinit(names[proc]);
	if (a->prepare != NULL)
		a->prepare(proc);
	confine(proc);
	exit(a->fn(proc));
}

static void
confine(enum nbd_proc proc)
{
	if (env.root_user) {
		if (proc != PROC_DNS && chroot(env.root) == -1)
			fatal("chroot %s", env.root);
		if (chdir("/") == -1)
			fatal("chdir /");
		if (setgroups(1, &env.gid) == -1 ||
		    setresgid(env.gid, env.gid, env.gid) == -1 ||
		    setresuid(env.uid, env.uid, env.uid) == -1)
			fatal("can't drop privileges");
	}
	sandbox_apply(proc);
}

static int
ret(long r)
{
	return r == -1 ? errno : 0;
}

/* For calls that return an fd: close it when the call was allowed. */
static int
retfd(long fd)
{
	if (fd == -1)
		return errno;
	close(fd);
	return 0;
}

/* A system call through the i386 entry. */
static long
int80(long nr, long arg)
{
#if defined(__x86_64__)
	long	 r;

	__asm__ volatile ("int $0x80" : "=a" (r) : "a" (nr), "b" (arg) :
	    "memory");
	return r;
#else
	(void)nr;
	(void)arg;
	return -ENOSYS;
#endif
}

static void *
thread_main(void *arg)
{
	return arg;
}

/* Outside the chroot; cleanup() removes it should the open succeed. */
static int
act_open_write(enum nbd_proc proc)
{
	(void)proc;
	return retfd(open(env.written, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600));
}

static int
act_open_rdwr(enum nbd_proc proc)
{
	(void)proc;
	return retfd(open("/etc/hosts", O_RDWR | O_CLOEXEC));
}

static int
act_open_creat(enum nbd_proc proc)
{
	(void)proc;
	return retfd(open(env.written, O_RDONLY | O_CREAT | O_CLOEXEC,
	    0600));
}

static int
act_open_read(enum nbd_proc proc)
{
	(void)proc;
	return retfd(open("/etc/passwd", O_RDONLY | O_CLOEXEC));
}

static int
act_open_legacy(enum nbd_proc proc)
{
	(void)proc;
	return retfd(syscall(SYS_open, "/etc/hosts", O_RDONLY));
}

/* Where execve is allowed, ENOENT: an exec'd program would keep the filter. */
static int
act_execve(enum nbd_proc proc)
{
	char	*argv[] = { "sandbox_test", NULL }, *envp[] = { NULL };

	(void)proc;
	return ret(execve("/nonexistent/sandbox_test", argv, envp));
}

static int
act_fork(enum nbd_proc proc)
{
	pid_t	 pid;

	(void)proc;
	if ((pid = fork()) == 0)
		_exit(0);
	return ret(pid);
}

static int
act_thread(enum nbd_proc proc)
{
	pthread_t	 t;

	(void)proc;
	return pthread_create(&t, NULL, thread_main, NULL);
}

static int
act_ptrace(enum nbd_proc proc)
{
	(void)proc;
	return ret(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
}

static int
act_process_vm(enum nbd_proc proc)
{
	char		 buf[16];
	struct iovec	 local = { buf, sizeof(buf) };
	struct iovec	 remote = { buf, sizeof(buf) };

	(void)proc;
	return ret(process_vm_readv(env.pid, &local, 1, &remote, 1, 0));
}

static int
act_socket_raw(enum nbd_proc proc)
{
	(void)proc;
	return retfd(socket(AF_INET, SOCK_RAW, IPPROTO_UDP));
}

static int
act_socket_raw_flags(enum nbd_proc proc)
{
	(void)proc;
	return retfd(socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_UDP));
}

/* A "ping socket": ICMP without privilege where the sysctl allows it. */
static int
act_socket_icmp(enum nbd_proc proc)
{
	(void)proc;
	return retfd(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
}

static int
act_socket_netlink(enum nbd_proc proc)
{
	(void)proc;
	return retfd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE));
}

static int
act_socket_packet(enum nbd_proc proc)
{
	(void)proc;
	return retfd(socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
}

static int
act_socket_unix(enum nbd_proc proc)
{
	(void)proc;
	return retfd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
}

static int
act_socket_tcp(enum nbd_proc proc)
{
	(void)proc;
	return retfd(socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_TCP));
}

static int
act_socket_udp(enum nbd_proc proc)
{
	(void)proc;
	return retfd(socket(AF_INET, SOCK_DGRAM, 0));
}

static int
act_socket_udp6(enum nbd_proc proc)
{
	(void)proc;
	return retfd(socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_UDP));
}

static int
act_socket_sctp(enum nbd_proc proc)
{
	(void)proc;
	return retfd(socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP));
}

static int
act_socketpair(enum nbd_proc proc)
{
	int	 sp[2];

	(void)proc;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		return errno;
	close(sp[0]);
	close(sp[1]);
	return 0;
}

/* ice may make AF_UNIX pairs (libcurl's wake-up pair), nothing else. */
static int
act_socketpair_inet(enum nbd_proc proc)
{
	int	 sp[2];

	(void)proc;
	if (socketpair(AF_INET, SOCK_STREAM, 0, sp) == -1)
		return errno;
	close(sp[0]);
	close(sp[1]);
	return 0;
}

/* On fd -1: where the call is allowed, the kernel says EBADF. */
static int
act_connect(enum nbd_proc proc)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };

	(void)proc;
	return ret(connect(-1, (struct sockaddr *)&sin, sizeof(sin)));
}

static int
act_bind(enum nbd_proc proc)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };

	(void)proc;
	return ret(bind(-1, (struct sockaddr *)&sin, sizeof(sin)));
}

static int
act_listen(enum nbd_proc proc)
{
	(void)proc;
	return ret(listen(-1, 1));
}

static int
act_accept4(enum nbd_proc proc)
{
	(void)proc;
	return retfd(accept4(-1, NULL, NULL, SOCK_CLOEXEC));
}

static int
act_setsockopt_ulp(enum nbd_proc proc)
{
	(void)proc;
	return ret(setsockopt(-1, IPPROTO_TCP, TCP_ULP, "tls", 3));
}

/* What would take the filter off ice's raw socket, were it not locked. */
static int
act_setsockopt_filter(enum nbd_proc proc)
{
	int	 zero = 0;

	(void)proc;
	return ret(setsockopt(-1, SOL_SOCKET, SO_DETACH_FILTER, &zero,
	    sizeof(zero)));
}

/* What would let ice write its own IPv4 headers on the raw socket. */
static int
act_setsockopt_hdrincl(enum nbd_proc proc)
{
	int	 one = 1;

	(void)proc;
	return ret(setsockopt(-1, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)));
}

static int
act_peercred(enum nbd_proc proc)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);

	(void)proc;
	return ret(getsockopt(-1, SOL_SOCKET, SO_PEERCRED, &cred, &len));
}

static int
act_mmap_exec(enum nbd_proc proc)
{
	void	*p;

	(void)proc;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? errno : 0;
}

static int
act_mprotect_exec(enum nbd_proc proc)
{
	void	*p;

	(void)proc;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return FAIL_SETUP;
	return ret(mprotect(p, 4096, PROT_READ | PROT_EXEC));
}

static int
act_setuid(enum nbd_proc proc)
{
	(void)proc;
	return ret(setuid(0));
}

static int
act_chroot(enum nbd_proc proc)
{
	(void)proc;
	return ret(chroot("/"));
}

static int
act_kill(enum nbd_proc proc)
{
	(void)proc;
	return ret(kill(1, 0));
}

/* abort()'s SIGABRT, to another process. */
static int
act_tgkill(enum nbd_proc proc)
{
	(void)proc;
	return ret(syscall(SYS_tgkill, 1, 1, SIGABRT));
}

static int
act_ioctl(enum nbd_proc proc)
{
	char	 c = 'x';

	(void)proc;
	return ret(ioctl(-1, TIOCSTI, &c));
}

static int
act_mount(enum nbd_proc proc)
{
	(void)proc;
	return ret(mount("none", "/", "tmpfs", 0, NULL));
}

static int
act_unshare(enum nbd_proc proc)
{
	(void)proc;
	return ret(unshare(CLONE_NEWUSER));
}

static int
act_bpf(enum nbd_proc proc)
{
	(void)proc;
	return ret(syscall(SYS_bpf, 0, NULL, 0));
}

static int
act_perf(enum nbd_proc proc)
{
	(void)proc;
	return retfd(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
}

static int
act_userfaultfd(enum nbd_proc proc)
{
	(void)proc;
	return retfd(syscall(SYS_userfaultfd, O_CLOEXEC));
}

static int
act_io_uring(enum nbd_proc proc)
{
	(void)proc;
	return retfd(syscall(SYS_io_uring_setup, 1, NULL));
}

static int
act_keyctl(enum nbd_proc proc)
{
	(void)proc;
	return ret(syscall(SYS_keyctl, 0, -1, 0));	/* GET_KEYRING_ID */
}

static int
act_personality(enum nbd_proc proc)
{
	(void)proc;
	return ret(personality(0xffffffff));
}

static int
act_x32(enum nbd_proc proc)
{
	(void)proc;
	return ret(syscall(0x40000000 | SYS_getpid));
}

static int
act_i386_execve(enum nbd_proc proc)
{
	long	 r;

	(void)proc;
	r = int80(11, 0);			/* i386 execve(NULL) */
	return r < 0 ? (int)-r : 0;
}

/* Allowed natively: killed only if no other architecture is filtered. */
static int
act_i386_getpid(enum nbd_proc proc)
{
	long	 r;

	(void)proc;
	r = int80(20, 0);
	return r < 0 ? (int)-r : 0;
}

static int
act_abort(enum nbd_proc proc)
{
	(void)proc;
	abort();
}

#ifdef NBD_SANITIZE
static int
act_asan(enum nbd_proc proc)
{
	char		*p;
	volatile size_t	 i = 8;
	int		 c;

	(void)proc;
	if ((p = malloc(8)) == NULL)
		return FAIL_SETUP;
	c = ((volatile char *)p)[i];
	free(p);
	return c == 0 ? FAIL_WORK : FAIL_WORK + 1;
}

static int
act_ubsan(enum nbd_proc proc)
{
	volatile int	 i = INT_MAX;

	(void)proc;
	i = i + 1;
	return i == INT_MIN ? 0 : FAIL_WORK;
}
#endif
