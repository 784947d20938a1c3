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
 * The seccomp allow-lists of the children, pledge(2) done with libseccomp.
 * Each child loads its list as the last step of its setup, after chroot
 * and the change of user.  A system call that is not on the list kills the
 * process (SIGSYS); the kernel logs its number (audit type 1326).
 *
 * A list is made of groups; the comment above each group says who needs
 * it.  Arguments are checked where the call could do more than the child
 * needs: no executable memory, socket() only for the families, types and
 * protocols the child uses, setsockopt() only for the options it sets.
 * SCMP_ACT_ERRNO answers only probes whose failure the caller handles.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/futex.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#ifdef NBD_SANITIZE
#include <sanitizer/lsan_interface.h>
#endif

#include "log.h"
#include "netbirdd.h"

#define SANDBOX_MAXCMP	3

/* One rule: a system call, what to do, and the argument tests, ANDed. */
struct sandbox_rule {
	int			 nr;
	uint32_t		 action;
	unsigned int		 ncmp;
	struct scmp_arg_cmp	 cmp[SANDBOX_MAXCMP];
};

struct sandbox_group {
	const struct sandbox_rule	*rules;
	size_t				 nrules;
};

/*
 * Argument tests: (argument n & mask) == value, on the low 32 bits only,
 * as the kernel reads them: the arguments tested are all ints.
 */
#define ARG(n, mask, v)		{ (n), SCMP_CMP_MASKED_EQ, \
				    (uint32_t)(mask), (uint32_t)(v) }
#define ARG_EQ(n, v)		ARG(n, 0xffffffffU, v)
#define ARG_NONE(n, bits)	ARG(n, bits, 0)		/* none of bits */
#define ARG_ONLY(n, bits, v)	ARG(n, ~(bits), v)	/* v, bits aside */

#define RULE(sys, act, n, ...)	\
	{ SCMP_SYS(sys), (act), (n), { __VA_ARGS__ } }
#define ALLOW(sys)		RULE(sys, SCMP_ACT_ALLOW, 0, { 0 })
#define ALLOW1(sys, a)		RULE(sys, SCMP_ACT_ALLOW, 1, a)
#define ALLOW2(sys, a, b)	RULE(sys, SCMP_ACT_ALLOW, 2, a, b)
#define ALLOW3(sys, a, b, c)	RULE(sys, SCMP_ACT_ALLOW, 3, a, b, c)
#define REFUSE(sys, e)		RULE(sys, SCMP_ACT_ERRNO(e), 0, { 0 })
#define REFUSE1(sys, e, a)	RULE(sys, SCMP_ACT_ERRNO(e), 1, a)

/* socket(domain, type, protocol); type may carry the two fd flags. */
#define SOCK_FLAGS		(SOCK_NONBLOCK | SOCK_CLOEXEC)
#define ALLOW_SOCKET(dom, type, proto)					\
	ALLOW3(socket, ARG_EQ(0, dom), ARG_ONLY(1, SOCK_FLAGS, type),	\
	    ARG_EQ(2, proto))
#define ALLOW_INET_SOCKET(type, proto)					\
	ALLOW_SOCKET(AF_INET, type, proto), ALLOW_SOCKET(AF_INET6, type, proto)
#define ALLOW_SETSOCKOPT(level, name)					\
	ALLOW2(setsockopt, ARG_EQ(1, level), ARG_EQ(2, name))

#define GROUP(rules)		{ (rules), nitems(rules) }

static void	sandbox_rlimits(void);
static void	sandbox_add(scmp_filter_ctx, const struct sandbox_group *);
static __dead void sandbox_fatal(int, const char *);

/*
 * Every child: a libevent loop over the imsg socketpairs, glibc malloc,
 * logging, randomness and the clock.
 */
static const struct sandbox_rule rules_common[] = {
	/*
	 * The descriptors the child holds: imsg over socketpairs (sendmsg
	 * and recvmsg, which carry SCM_RIGHTS), stderr, and the syslog
	 * socket opened before chroot (syslog() writes it with send(),
	 * that is sendto() without an address).
	 */
	ALLOW(read),
	ALLOW(write),
	ALLOW(recvmsg),
	ALLOW(sendmsg),
	ALLOW(sendto),
	ALLOW(close),

	/*
	 * glibc's syslog() opens a new socket to /dev/log when a send
	 * fails.  The chroot has no /dev/log, so reconnecting cannot work
	 * anyway; refusing the AF_UNIX socket makes syslog() drop the
	 * line instead of killing the child.
	 */
	REFUSE1(socket, EACCES, ARG_EQ(0, AF_UNIX)),

	/*
	 * libevent's epoll backend, the pipe through which it turns
	 * signals into events, and the set-id check it makes before it
	 * reads EVENT_* from the environment: event_base_new() runs after
	 * the sandbox.  epoll_pwait where the architecture has no
	 * epoll_wait.
	 */
	ALLOW(epoll_create1),
	ALLOW(epoll_ctl),
	ALLOW(epoll_wait),
	ALLOW(epoll_pwait),
	ALLOW1(pipe2, ARG_NONE(1, ~(O_CLOEXEC | O_NONBLOCK))),
	ALLOW(getuid),
	ALLOW(geteuid),
	ALLOW(getgid),
	ALLOW(getegid),
	ALLOW(rt_sigaction),
	ALLOW(rt_sigreturn),

	/*
	 * Waiting on one descriptor outside the event loop: imsgbuf_flush()
	 * when the socket is full, curl inside curl_multi_perform(), the
	 * resolver.  ppoll where the architecture has no poll.
	 */
	ALLOW(poll),
	ALLOW(ppoll),

	/*
	 * The clock: the vDSO answers these without a system call, but
	 * falls back to one when the clock source cannot be read from
	 * user space.
	 */
	ALLOW(clock_gettime),
	ALLOW(gettimeofday),
	ALLOW(time),

	/* Keys, nonces and ICE credentials: libsodium, arc4random. */
	ALLOW(getrandom),

	/* glibc malloc: brk for small chunks, mmap for large ones. */
	ALLOW(brk),
	ALLOW1(mmap, ARG_NONE(2, PROT_EXEC)),
	ALLOW1(mprotect, ARG_NONE(2, PROT_EXEC)),
	ALLOW(munmap),
	ALLOW(mremap),

	/*
	 * glibc's pthread_once() (OpenSSL, libsodium) wakes waiters even
	 * in a process with one thread; nothing ever waits.
	 */
	ALLOW1(futex, ARG_EQ(1, FUTEX_WAKE_PRIVATE)),

	/*
	 * getpid: syslog's LOG_PID, imsg headers, OpenSSL's fork check.
	 * abort() unblocks SIGABRT and finds its own thread before it
	 * sends it (see sandbox_apply()).
	 */
	ALLOW(getpid),
	ALLOW(rt_sigprocmask),
	ALLOW(gettid),

	ALLOW(exit_group),
};

/*
 * Outbound TCP as libcurl makes it: mgmt and signal (gRPC over HTTP/2 and
 * TLS), metrics (push), ice (TURN over TCP, relay).  Addresses come from
 * the dns child through CURLOPT_RESOLVE, so curl starts no resolver
 * thread.  The multi handle, with its wake-up socketpair, is made before
 * the sandbox.
 */
static const struct sandbox_rule rules_tcp[] = {
	ALLOW_INET_SOCKET(SOCK_STREAM, 0),
	ALLOW_INET_SOCKET(SOCK_STREAM, IPPROTO_TCP),
	ALLOW(connect),

	/* curl makes the socket non-blocking itself. */
	ALLOW1(fcntl, ARG_EQ(1, F_GETFL)),
	ALLOW1(fcntl, ARG_EQ(1, F_SETFL)),

	/* Connection set-up: SO_ERROR after connect(), the two addresses. */
	ALLOW2(getsockopt, ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_ERROR)),
	ALLOW(getsockname),
	ALLOW(getpeername),

	/*
	 * curl's defaults and CURLOPT_TCP_KEEPALIVE for the long streams;
	 * grpc.c sets the probe count itself (TCP_KEEPCNT), as libcurl 7.88
	 * has no option for it.
	 */
	ALLOW_SETSOCKOPT(IPPROTO_TCP, TCP_NODELAY),
	ALLOW_SETSOCKOPT(SOL_SOCKET, SO_KEEPALIVE),
	ALLOW_SETSOCKOPT(IPPROTO_TCP, TCP_KEEPIDLE),
	ALLOW_SETSOCKOPT(IPPROTO_TCP, TCP_KEEPINTVL),
	ALLOW_SETSOCKOPT(IPPROTO_TCP, TCP_KEEPCNT),

	/* recv(); send() is in the common group. */
	ALLOW(recvfrom),
};

/*
 * ice: UDP sockets of its own for TURN and for the local proxies of
 * relayed paths (socket, bind to 127.0.0.1, connect and getsockname in
 * the TCP group, send and recv), and bind() for TCP candidates.  The raw
 * socket on the WireGuard port comes from the parent, its filter locked:
 * ice reads it (recvfrom) and sends STUN on it with sendmsg() and an
 * IP_PKTINFO source, which the kernel accepts only for an address of
 * this host.  SOCK_RAW stays out, and so does every setsockopt() but
 * the TCP options above: no SO_ATTACH_FILTER, no IP_HDRINCL.
 */
static const struct sandbox_rule rules_udp[] = {
	ALLOW_INET_SOCKET(SOCK_DGRAM, 0),
	ALLOW_INET_SOCKET(SOCK_DGRAM, IPPROTO_UDP),
	ALLOW(bind),
	ALLOW(recvmmsg),
	ALLOW(sendmmsg),
};

/*
 * ice: ws.c gives each relay connection a libcurl multi handle of its
 * own, made when the relay is dialled; libcurl makes the handle's
 * wake-up pair with socketpair(2).  Two connected AF_UNIX sockets reach
 * nothing outside the process.
 */
static const struct sandbox_rule rules_socketpair[] = {
	ALLOW1(socketpair, ARG_EQ(0, AF_UNIX)),
};

/*
 * metrics and control: accept connections on the listening socket the
 * parent bound (Prometheus, the control socket).
 */
static const struct sandbox_rule rules_accept[] = {
	ALLOW(accept4),
};

/*
 * metrics: the Prometheus listener is libevent's evhttp, whose buffers
 * size each read with ioctl(FIONREAD), move data with readv and writev,
 * and end a reply with shutdown(2).
 */
static const struct sandbox_rule rules_http[] = {
	ALLOW1(ioctl, ARG_EQ(1, FIONREAD)),
	ALLOW(readv),
	ALLOW(writev),
	ALLOW(shutdown),
};

/* control: who is asking, from the control socket. */
static const struct sandbox_rule rules_peercred[] = {
	ALLOW2(getsockopt, ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_PEERCRED)),
};

/*
 * dns: getaddrinfo(), outside the chroot.  glibc reads /etc/resolv.conf,
 * /etc/nsswitch.conf, /etc/hosts and /etc/gai.conf (read-only: any other
 * open flag kills), asks the name servers over UDP (with IP_RECVERR, to
 * hear of unreachable servers at once), sizes each answer with
 * ioctl(FIONREAD), asks again over TCP (writev) when an answer is
 * truncated, and sorts the addresses by connecting a UDP socket to each
 * (RFC 6724).  It probes the interfaces with a netlink socket and asks
 * nscd over a unix socket: both are refused, and glibc does without.
 * dns_main() resolves a name once before the sandbox, so that glibc loads
 * the NSS modules nsswitch.conf names while it may still map them
 * executable.
 */
static const struct sandbox_rule rules_resolver[] = {
	ALLOW1(openat, ARG_ONLY(2, O_CLOEXEC, O_RDONLY)),
	ALLOW(newfstatat),
	ALLOW(lseek),
	ALLOW_INET_SOCKET(SOCK_DGRAM, 0),
	ALLOW_INET_SOCKET(SOCK_DGRAM, IPPROTO_UDP),
	ALLOW_INET_SOCKET(SOCK_STREAM, 0),
	ALLOW_INET_SOCKET(SOCK_STREAM, IPPROTO_TCP),
	REFUSE1(socket, EACCES, ARG_EQ(0, AF_NETLINK)),
	ALLOW_SETSOCKOPT(IPPROTO_IP, IP_RECVERR),
	ALLOW_SETSOCKOPT(IPPROTO_IPV6, IPV6_RECVERR),
	ALLOW(connect),
	ALLOW(getsockname),
	ALLOW(sendmmsg),
	ALLOW(recvfrom),
	ALLOW(writev),
	ALLOW1(ioctl, ARG_EQ(1, FIONREAD)),
};

#ifdef NBD_SANITIZE
/*
 * Built with SANITIZE=1 only, so that a sanitizer build runs sandboxed
 * too.  The ASan allocator tunes its mappings with madvise(); a report
 * checks whether stderr is a terminal and runs on the signal stack.
 */
static const struct sandbox_rule rules_sanitizer[] = {
	ALLOW(madvise),
	ALLOW(sigaltstack),
	ALLOW1(ioctl, ARG_EQ(1, TCGETS)),
	ALLOW1(fcntl, ARG_EQ(1, F_SETFD)),

	/*
	 * A report reads /proc/self and the executable for names and
	 * symbols, and clang's runtime looks for llvm-symbolizer to run
	 * it: refused, as the empty chroot would answer.
	 */
	REFUSE(readlink, ENOENT),
	REFUSE(stat, ENOENT),
	REFUSE1(open, ENOENT, ARG_ONLY(1, O_CLOEXEC, O_RDONLY)),
};

/* The same for openat(), which dns already may use read-only. */
static const struct sandbox_rule rules_sanitizer_openat[] = {
	REFUSE1(openat, ENOENT, ARG_ONLY(2, O_CLOEXEC, O_RDONLY)),
};
#endif

#ifdef NBD_VALGRIND
/*
 * Built for regress/valgrind only (netbirdd_vg, never installed): the
 * system calls valgrind makes on its own behalf, which run under the
 * child's filter too.
 */
static const struct sandbox_rule rules_valgrind[] = {
	/*
	 * valgrind keeps signals blocked while it runs the program and
	 * polls for pending ones with a zero timeout.
	 */
	ALLOW(rt_sigtimedwait),

	/*
	 * It translates code as the program reaches it, into a cache
	 * whose sectors it maps read, write and execute as they are
	 * first used.  Only that exact protection: common's rule covers
	 * the rest.
	 */
	ALLOW1(mmap, ARG_EQ(2, PROT_READ | PROT_WRITE | PROT_EXEC)),
};
#endif

static const struct sandbox_group group_common = GROUP(rules_common);
static const struct sandbox_group group_tcp = GROUP(rules_tcp);
static const struct sandbox_group group_udp = GROUP(rules_udp);
static const struct sandbox_group group_socketpair = GROUP(rules_socketpair);
static const struct sandbox_group group_accept = GROUP(rules_accept);
static const struct sandbox_group group_http = GROUP(rules_http);
static const struct sandbox_group group_peercred = GROUP(rules_peercred);
static const struct sandbox_group group_resolver = GROUP(rules_resolver);

#ifdef NBD_SANITIZE
static const struct sandbox_group group_sanitizer = GROUP(rules_sanitizer);
static const struct sandbox_group group_sanitizer_openat =
    GROUP(rules_sanitizer_openat);
#define SANITIZER	&group_sanitizer, &group_sanitizer_openat
#define SANITIZER_DNS	&group_sanitizer
static int	sandbox_applied;

/*
 * LeakSanitizer's check at exit stops the world with a clone that
 * ptrace()s the process, after reading /proc: it cannot work in a
 * sandboxed child.  It stays on in the parent and in the tests.
 */
int
__lsan_is_turned_off(void)
{
	return sandbox_applied;
}
#else
#define SANITIZER
#define SANITIZER_DNS
#endif

#ifdef NBD_VALGRIND
static const struct sandbox_group group_valgrind = GROUP(rules_valgrind);
#define VALGRIND	&group_valgrind,
/*
 * valgrind 3.19 does not know seccomp(2): it answers ENOSYS, libseccomp
 * then takes the kernel for one older than SECCOMP_RET_KILL_PROCESS and
 * refuses that action, and loads the filter with prctl(2).  Killing the
 * thread kills the child all the same: it has one.
 */
#define SANDBOX_KILL	SCMP_ACT_KILL
#else
#define VALGRIND
#define SANDBOX_KILL	SCMP_ACT_KILL_PROCESS
#endif

/* The list of each child, ended by NULL. */
static const struct sandbox_group *const sandbox_lists[PROC_MAX][7] = {
	[PROC_MGMT] =	 { &group_common, &group_tcp, VALGRIND SANITIZER },
	[PROC_SIGNAL] =	 { &group_common, &group_tcp, VALGRIND SANITIZER },
	[PROC_ICE] =	 { &group_common, &group_tcp, &group_udp,
			   &group_socketpair, VALGRIND SANITIZER },
	[PROC_METRICS] = { &group_common, &group_tcp, &group_accept,
			   &group_http, VALGRIND SANITIZER },
	[PROC_CONTROL] = { &group_common, &group_accept, &group_peercred,
			   VALGRIND SANITIZER },
	[PROC_DNS] =	 { &group_common, &group_resolver,
			   VALGRIND SANITIZER_DNS },
};

void
sandbox_apply(enum nbd_proc proc)
{
	scmp_filter_ctx		 ctx;
	const struct sandbox_group *const *list;
	pid_t			 pid = getpid();
	size_t			 i;
	int			 rc;
	/* abort(): SIGABRT to this process's only thread, nothing else. */
	const struct sandbox_rule abort_rule = ALLOW3(tgkill, ARG_EQ(0, pid),
	    ARG_EQ(1, pid), ARG_EQ(2, SIGABRT));
	const struct sandbox_group group_abort = { &abort_rule, 1 };

	if (proc <= PROC_PARENT || proc >= PROC_MAX)
		fatalx("%s: no sandbox for process %d", __func__, proc);
	list = sandbox_lists[proc];

	sandbox_rlimits();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("%s: prctl(PR_SET_NO_NEW_PRIVS)", __func__);

	/*
	 * seccomp_init() filters the native architecture only, and on
	 * x86_64 sends x32 system call numbers to the bad-architecture
	 * action, as it does calls made with another convention (int 0x80).
	 */
	if ((ctx = seccomp_init(SANDBOX_KILL)) == NULL)
		fatalx("%s: seccomp_init failed", __func__);
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SANDBOX_KILL)) < 0)
		sandbox_fatal(rc, "seccomp_attr_set");
	for (i = 0; i < nitems(sandbox_lists[proc]) && list[i] != NULL; i++)
		sandbox_add(ctx, list[i]);
	sandbox_add(ctx, &group_abort);
	if ((rc = seccomp_load(ctx)) < 0)
		sandbox_fatal(rc, "seccomp_load");
	seccomp_release(ctx);
#ifdef NBD_SANITIZE
	sandbox_applied = 1;
#endif
}

/*
 * No core files: a child holds session keys.  No new processes, behind
 * the seccomp kill of fork and clone: RLIMIT_NPROC counts the processes
 * of the user but is checked against the limit of the process that forks,
 * so zero here binds this child alone, not the other processes of the
 * user.  RLIMIT_FSIZE is not lowered: no list opens a file for writing,
 * and a zero limit would kill the child (SIGXFSZ) at its first log line
 * when stderr is a regular file.
 */
static void
sandbox_rlimits(void)
{
	static const int	 zero[] = { RLIMIT_CORE, RLIMIT_NPROC };
	const struct rlimit	 rl = { 0, 0 };
	size_t			 i;

	for (i = 0; i < nitems(zero); i++)
		if (setrlimit(zero[i], &rl) == -1)
			fatal("%s: setrlimit %d", __func__, zero[i]);
}

static void
sandbox_add(scmp_filter_ctx ctx, const struct sandbox_group *group)
{
	const struct sandbox_rule	*r;
	size_t				 i;
	int				 rc;

	for (i = 0; i < group->nrules; i++) {
		r = &group->rules[i];
		if ((rc = seccomp_rule_add_array(ctx, r->action, r->nr,
		    r->ncmp, r->cmp)) < 0)
			sandbox_fatal(rc, "seccomp_rule_add");
	}
}

/* libseccomp returns -errno and leaves errno alone. */
static __dead void
sandbox_fatal(int rc, const char *what)
{
	errno = -rc;
	fatal("sandbox: %s", what);
}
