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
 * The positive run of sandbox_test: in the sandboxed child, the work the
 * child exists for; here, the parent and the servers it talks to.  Every
 * child runs a libevent loop made after the sandbox (a timer, SIGTERM,
 * imsg with an fd passed both ways), allocates, draws random bytes, reads
 * the clock and logs to stderr, a regular file, and to syslog, which has
 * no socket.  Then, by child: TCP out as libcurl does it (mgmt, signal,
 * metrics, ice), UDP on 127.0.0.1 (ice), and as root a STUN request read
 * from the raw socket of a "WireGuard port" and answered on it with
 * ice_raw_send(), as ice does with the socket the parent opens for it
 * (ice), accept4 (metrics, control) with
 * SO_PEERCRED (control), getaddrinfo (dns) from /etc/hosts and, as root,
 * from a name server of ours whose UDP answers are truncated, so that
 * glibc asks again over TCP.
 */

#include <sys/types.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netbirdd.h"
#include "hostnet.h"
#include "ice.h"
#include "sandbox_test.h"

#define DNS_SERVER	"127.0.53.1"
#define DNS_NAME	"nbd-sandbox-test.example"
#define DNS_ADDR	"192.0.2.2"
#define DNS_MAX		512

enum {
	MSG_FD = 1,		/* test -> child: an fd, and back */
	MSG_SIGNAL		/* child -> test: SIGTERM seen */
};

/* What the children connect to, and accept from; made before the forks. */
struct peers {
	int			 tcp;		/* we accept */
	struct sockaddr_in	 tcp_sin;
	int			 metrics;	/* metrics accepts */
	struct sockaddr_in	 metrics_sin;
	int			 control;	/* control accepts */
	struct sockaddr_un	 control_sun;
	int			 dns_udp;	/* name server, or -1 */
	int			 dns_tcp;
	char			 resolv[PATH_MAX];
	int			 wg;		/* "WireGuard" owns its port */
	uint16_t		 wg_port;
	int			 raw;		/* on that port, or -1 */
};

struct work {
	struct imsgbuf		 ibuf;
	struct event_base	*base;
	struct event		*timer;
	int			 fd;		/* received, not yet back */
	int			 timed;
	int			 sig;
	int			 failed;
};

static void	setup_listener(int, struct sockaddr *, socklen_t, int *);
static void	setup_dns(void);
static void	setup_raw(void);
static int	work_memory(void);
static int	work_random(void);
static int	work_clock(void);
static int	work_tcp_out(int);
static int	work_udp(void);
static int	work_raw(void);
static int	work_accept(int, const char *, int);
static int	work_resolve(const char *, const char *);
static int	work_events(struct work *);
static void	work_timer(int, short, void *);
static void	work_signal(int, short, void *);
static void	work_imsg(int, short, void *);
static int	peer_tcp(void);
static int	peer_raw(void);
static int	peer_connect(const struct sockaddr *, socklen_t, const char *);
static int	peer_wait(struct imsgbuf *, uint32_t, struct imsg *);
static int	read_full(int, void *, size_t);
static size_t	dns_reply(const unsigned char *, size_t, unsigned char *, int);
static void	dns_udp(void);
static void	dns_tcp(void);

static struct peers	 peers;

void
work_setup(void)
{
	struct sockaddr_in	*sin;

	sin = &peers.tcp_sin;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setup_listener(SOCK_STREAM, (struct sockaddr *)sin, sizeof(*sin),
	    &peers.tcp);
	sin = &peers.metrics_sin;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setup_listener(SOCK_STREAM, (struct sockaddr *)sin, sizeof(*sin),
	    &peers.metrics);

	/* Abstract: reachable from inside the chroot. */
	peers.control_sun.sun_family = AF_UNIX;
	snprintf(peers.control_sun.sun_path + 1,
	    sizeof(peers.control_sun.sun_path) - 1, "nbd-sandbox-%ld",
	    (long)env.pid);
	setup_listener(SOCK_STREAM, (struct sockaddr *)&peers.control_sun,
	    sizeof(peers.control_sun), &peers.control);

	setup_dns();
	setup_raw();
}

void
work_cleanup(void)
{
	if (peers.resolv[0] != '\0')
		unlink(peers.resolv);
}

/* Bind (port 0: any) and listen, or for SOCK_DGRAM just bind; -1 if busy. */
static void
setup_listener(int type, struct sockaddr *sa, socklen_t len, int *fd)
{
	if ((*fd = socket(sa->sa_family, type | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (bind(*fd, sa, len) == -1) {
		if (errno != EADDRINUSE)
			fatal("bind");
		close(*fd);
		*fd = -1;
		return;
	}
	if ((type == SOCK_STREAM && listen(*fd, 4) == -1) ||
	    getsockname(*fd, sa, &len) == -1)
		fatal("listen");
}

/*
 * A name server on 127.0.53.1:53, UDP and TCP, that answers every A query
 * with 192.0.2.1 and 192.0.2.2; the dns child sees it through a
 * resolv.conf bind-mounted in its own mount namespace.  Needs root.
 */
static void
setup_dns(void)
{
	struct sockaddr_in	 sin;
	int			 fd;

	peers.dns_udp = peers.dns_tcp = -1;
	if (!env.root_user) {
		printf("skip - dns: name server query: not root\n");
		return;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	inet_pton(AF_INET, DNS_SERVER, &sin.sin_addr);
	setup_listener(SOCK_DGRAM, (struct sockaddr *)&sin, sizeof(sin),
	    &peers.dns_udp);
	setup_listener(SOCK_STREAM, (struct sockaddr *)&sin, sizeof(sin),
	    &peers.dns_tcp);
	if (peers.dns_udp == -1 || peers.dns_tcp == -1) {
		printf("skip - dns: name server query: %s:53 is taken\n",
		    DNS_SERVER);
		if (peers.dns_udp != -1)
			close(peers.dns_udp);
		if (peers.dns_tcp != -1)
			close(peers.dns_tcp);
		peers.dns_udp = peers.dns_tcp = -1;
		return;
	}

	snprintf(peers.resolv, sizeof(peers.resolv), "%s/resolv.conf",
	    env.dir);
	if ((fd = open(peers.resolv, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		fatal("open %s", peers.resolv);
	dprintf(fd, "nameserver %s\noptions timeout:2 attempts:2\n",
	    DNS_SERVER);
	close(fd);
}

/*
 * A UDP socket on 127.0.0.1 in WireGuard's place, and the raw socket on
 * its port as the parent opens it; ice inherits it where the real one
 * gets it over imsg (the "work" run checks that passing).  Needs root.
 */
static void
setup_raw(void)
{
	struct sockaddr_in	 sin;

	peers.raw = -1;
	if (!env.root_user) {
		printf("skip - ice: raw socket of the WireGuard port: "
		    "not root\n");
		return;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setup_listener(SOCK_DGRAM, (struct sockaddr *)&sin, sizeof(sin),
	    &peers.wg);
	peers.wg_port = ntohs(sin.sin_port);
	if ((peers.raw = rawsock_open(AF_INET, peers.wg_port)) == -1)
		fatalx("raw socket on port %u", peers.wg_port);
}

/*
 * The work of every child.  Before the sandbox, what the real child does
 * before it: sodium_init(), openlog() (glibc connects now or never), and
 * for dns a first lookup, which loads the NSS modules nsswitch.conf
 * names, and a resolv.conf pointing at our name server.
 */
void
work_prepare(enum nbd_proc proc)
{
	struct addrinfo	 hints, *res;

	if (sodium_init() == -1)
		fatalx("sodium_init");
	openlog("sandbox_test", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	if (proc != PROC_DNS)
		return;
	if (peers.dns_udp != -1 && (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount(peers.resolv, "/etc/resolv.conf", NULL, MS_BIND,
	    NULL) == -1))
		fatal("resolv.conf for the test name server");
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", NULL, &hints, &res) == 0)
		freeaddrinfo(res);
}

int
work_main(enum nbd_proc proc)
{
	struct work	 w;

	if (work_memory() || work_random() || work_clock())
		return FAIL_SETUP;
	switch (proc) {
	case PROC_MGMT:
	case PROC_SIGNAL:
		if (work_tcp_out(0))
			return FAIL_NET;
		break;
	case PROC_ICE:
		if (work_tcp_out(1) || work_udp() || work_raw())
			return FAIL_NET;
		break;
	case PROC_METRICS:
		if (work_tcp_out(0) ||
		    work_accept(peers.metrics, "metrics", 0))
			return FAIL_NET;
		break;
	case PROC_CONTROL:
		if (work_accept(peers.control, "control", 1))
			return FAIL_NET;
		break;
	case PROC_DNS:
		if (work_resolve("localhost", "127.0.0.1"))
			return FAIL_NET;
		if (peers.dns_udp != -1 && work_resolve(DNS_NAME, DNS_ADDR))
			return FAIL_NET;
		break;
	default:
		return FAIL_PROC;
	}

	memset(&w, 0, sizeof(w));
	w.fd = -1;
	if (work_events(&w))
		return FAIL_EVENTS;
	if (!w.timed || !w.sig || w.failed) {
		log_warnx("timer %d, signal %d, failed %d", w.timed, w.sig,
		    w.failed);
		return FAIL_WORK;
	}

	/*
	 * Through the syslog socket openlog() connected, if there is one;
	 * then glibc connects again, which the sandbox refuses: the line
	 * is dropped, the child lives.
	 */
	syslog(LOG_INFO, "through syslog");
	closelog();
	syslog(LOG_INFO, "through syslog, again");
	log_info("%s", WORK_DONE);
	return 0;
}

static int
work_memory(void)
{
	char	*big, *small[256], *p;
	size_t	 i, n;

	if ((big = malloc(10 * 1024 * 1024)) == NULL) {
		log_warn("malloc 10 MB");
		return -1;
	}
	memset(big, 0xa5, 10 * 1024 * 1024);
	if ((p = realloc(big, 20 * 1024 * 1024)) == NULL) {
		log_warn("realloc 20 MB");
		free(big);
		return -1;
	}
	free(p);
	for (i = 0; i < nitems(small); i++)
		if ((small[i] = malloc(1024 + i * 64)) == NULL)
			break;
	n = i;
	for (i = 0; i < n; i++)
		free(small[i]);
	if (n < nitems(small)) {
		log_warn("malloc");
		return -1;
	}
	return 0;
}

static int
work_random(void)
{
	unsigned char	 buf[32];

	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
		log_warn("getrandom");
		return -1;
	}
	arc4random_buf(buf, sizeof(buf));
	randombytes_buf(buf, sizeof(buf));
	return 0;
}

static int
work_clock(void)
{
	struct timespec	 ts;
	struct timeval	 tv;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1 ||
	    clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gettimeofday(&tv, NULL) == -1 || time(NULL) == (time_t)-1) {
		log_warn("clock");
		return -1;
	}
	return 0;
}

/*
 * As libcurl (and grpc.c, TCP_KEEPCNT) does it: options, non-blocking
 * connect, poll, SO_ERROR, the two addresses, then one exchange with the
 * test.
 */
static int
work_tcp_out(int bind_first)
{
	struct sockaddr_in	 sin;
	socklen_t		 len;
	char			 buf[8];
	int			 s, one = 1, idle = 60, flags, err;

	if ((s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)) == -1) {
		log_warn("socket");
		return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((bind_first && bind(s, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1) ||
	    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == -1 ||
	    setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle,
	    sizeof(idle)) == -1 ||
	    setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &idle,
	    sizeof(idle)) == -1 ||
	    setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &one, sizeof(one)) == -1 ||
	    (flags = fcntl(s, F_GETFL)) == -1 ||
	    fcntl(s, F_SETFL, flags | O_NONBLOCK) == -1) {
		log_warn("tcp socket set-up");
		goto fail;
	}
	if (connect(s, (struct sockaddr *)&peers.tcp_sin,
	    sizeof(peers.tcp_sin)) == -1 && errno != EINPROGRESS) {
		log_warn("connect");
		goto fail;
	}
	len = sizeof(err);
	if (wait_fd(s, POLLOUT) == -1 ||
	    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
		log_warn("connect: no answer");
		goto fail;
	}
	if (err != 0) {
		log_warnx("connect: %s", strerror(err));
		goto fail;
	}
	len = sizeof(sin);
	if (getsockname(s, (struct sockaddr *)&sin, &len) == -1 ||
	    getpeername(s, (struct sockaddr *)&sin, &len) == -1) {
		log_warn("addresses");
		goto fail;
	}
	if (send(s, "ping", 4, MSG_NOSIGNAL) != 4 ||
	    wait_fd(s, POLLIN) == -1 ||
	    recv(s, buf, sizeof(buf), 0) != 4 || memcmp(buf, "pong", 4)) {
		log_warn("tcp exchange");
		goto fail;
	}
	close(s);
	return 0;
 fail:
	close(s);
	return -1;
}

/* A UDP socket on 127.0.0.1 talking to itself, one and two at a time. */
static int
work_udp(void)
{
	struct sockaddr_in	 sin;
	struct mmsghdr		 mm[2];
	struct iovec		 iov[2];
	socklen_t		 len = sizeof(sin);
	char			 buf[2][16];
	int			 s, i;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_UDP)) == -1) {
		log_warn("udp socket");
		return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1 ||
	    sendto(s, "stun", 4, 0, (struct sockaddr *)&sin, len) != 4 ||
	    wait_fd(s, POLLIN) == -1 ||
	    recvfrom(s, buf[0], sizeof(buf[0]), 0, NULL, NULL) != 4) {
		log_warn("udp exchange");
		goto fail;
	}
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < 2; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &sin;
		mm[i].msg_hdr.msg_namelen = len;
	}
	if (sendmmsg(s, mm, 2, 0) != 2 || wait_fd(s, POLLIN) == -1 ||
	    recvmmsg(s, mm, 2, MSG_WAITFORONE, NULL) < 1) {
		log_warn("udp mmsg");
		goto fail;
	}
	close(s);
	return 0;
 fail:
	close(s);
	return -1;
}

/*
 * One STUN request from the raw socket, answered "pong" from the port
 * and address it was sent to, as ice does: recv, decode, then sendmsg
 * with IP_PKTINFO.
 */
static int
work_raw(void)
{
	struct sockaddr_storage	 src, dst;
	const uint8_t		*payload;
	uint8_t			 buf[ICE_RAW_MAX];
	size_t			 plen;
	ssize_t			 n;

	if (peers.raw == -1)
		return 0;
	if (wait_fd(peers.raw, POLLIN) == -1 ||
	    (n = recv(peers.raw, buf, sizeof(buf), 0)) == -1) {
		log_warn("raw socket: nothing to read");
		return -1;
	}
	if (ice_raw_decode(buf, n, peers.wg_port, &src, &dst, &payload,
	    &plen) == -1 || plen != 20) {
		log_warnx("raw socket: %zd bytes, not the STUN request", n);
		return -1;
	}
	if (ice_raw_send(peers.raw, peers.wg_port, &dst, &src, "pong",
	    4) != 12) {
		log_warn("raw socket: send");
		return -1;
	}
	return 0;
}

/* One connection on a listener we inherited; control checks who. */
static int
work_accept(int l, const char *reply, int peercred)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 s;

	if ((s = accept4(l, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		log_warn("accept4");
		return -1;
	}
	if (peercred && (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred,
	    &len) == -1 || cred.pid != env.pid || cred.uid != env.self_uid)) {
		log_warnx("SO_PEERCRED: not the test");
		close(s);
		return -1;
	}
	if (write(s, reply, strlen(reply)) != (ssize_t)strlen(reply)) {
		log_warn("write");
		close(s);
		return -1;
	}
	close(s);
	return 0;
}

static int
work_resolve(const char *name, const char *want)
{
	struct addrinfo	 hints, *res, *ai;
	char		 addr[INET6_ADDRSTRLEN];
	int		 e, found = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(name, "443", &hints, &res)) != 0) {
		log_warnx("getaddrinfo %s: %s", name, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) == 0 &&
		    strcmp(addr, want) == 0)
			found = 1;
	freeaddrinfo(res);
	if (!found) {
		log_warnx("getaddrinfo %s: no %s", name, want);
		return -1;
	}
	return 0;
}

/*
 * The event loop as the children run it, made after the sandbox: imsg on
 * the socketpair until the test closes it, a timer that sends back the fd
 * the test sent, and SIGTERM.
 */
static int
work_events(struct work *w)
{
	struct event	*sig, *rd;
	struct timeval	 tv = { 0, 10000 };

	if ((w->base = event_base_new()) == NULL ||
	    imsgbuf_init(&w->ibuf, env.sp[1]) == -1) {
		log_warn("event_base_new, imsgbuf_init");
		return -1;
	}
	imsgbuf_allow_fdpass(&w->ibuf);
	if ((w->timer = evtimer_new(w->base, work_timer, w)) == NULL ||
	    (sig = evsignal_new(w->base, SIGTERM, work_signal, w)) == NULL ||
	    (rd = event_new(w->base, env.sp[1], EV_READ | EV_PERSIST,
	    work_imsg, w)) == NULL ||
	    evtimer_add(w->timer, &tv) == -1 || evsignal_add(sig, NULL) == -1 ||
	    event_add(rd, NULL) == -1) {
		log_warnx("events");
		return -1;
	}
	if (event_base_dispatch(w->base) == -1) {
		log_warnx("event_base_dispatch");
		return -1;
	}
	event_free(w->timer);
	event_free(sig);
	event_free(rd);
	event_base_free(w->base);
	imsgbuf_clear(&w->ibuf);
	return 0;
}

static void
work_timer(int fd, short ev, void *arg)
{
	struct work	*w = arg;
	struct timeval	 tv = { 0, 10000 };

	(void)fd;
	(void)ev;
	if (w->fd == -1) {
		if (evtimer_add(w->timer, &tv) == -1)
			w->failed = 1;
		return;
	}
	w->timed = 1;
	if (imsg_compose(&w->ibuf, MSG_FD, 0, 0, w->fd, NULL, 0) == -1 ||
	    imsgbuf_flush(&w->ibuf) == -1)
		w->failed = 1;
	w->fd = -1;
}

static void
work_signal(int sig, short ev, void *arg)
{
	struct work	*w = arg;

	(void)sig;
	(void)ev;
	w->sig = 1;
	if (imsg_compose(&w->ibuf, MSG_SIGNAL, 0, 0, -1, NULL, 0) == -1 ||
	    imsgbuf_flush(&w->ibuf) == -1)
		w->failed = 1;
}

/* Keep the fd for the timer; stop at EOF. */
static void
work_imsg(int fd, short ev, void *arg)
{
	struct work	*w = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	(void)ev;
	if ((n = imsgbuf_read(&w->ibuf)) != 1) {
		if (n == -1)
			w->failed = 1;
		event_base_loopbreak(w->base);
		return;
	}
	while ((n = imsgbuf_get(&w->ibuf, &imsg)) > 0) {
		if (imsg_get_type(&imsg) != MSG_FD || w->fd != -1 ||
		    w->timed || (w->fd = imsg_get_fd(&imsg)) == -1)
			w->failed = 1;
		imsg_free(&imsg);
	}
	if (n == -1)
		w->failed = 1;
}

/* The test's side of "work": the parent and the servers of the child. */
int
work_peer(enum nbd_proc proc, pid_t pid)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	struct stat	 sent, back;
	int		 fd, ok = 0;

	if (imsgbuf_init(&ibuf, env.sp[0]) == -1)
		fatal("imsgbuf_init");
	imsgbuf_allow_fdpass(&ibuf);
	if ((fd = dup(env.logfd)) == -1 || fstat(fd, &sent) == -1)
		fatal("dup");
	if (imsg_compose(&ibuf, MSG_FD, 0, 0, fd, NULL, 0) == -1 ||
	    imsgbuf_flush(&ibuf) == -1)
		fatal("imsg_compose");

	if ((TCP_PROCS & P(proc)) && !peer_tcp())
		goto done;
	if (proc == PROC_ICE && !peer_raw())
		goto done;
	if (proc == PROC_METRICS && !peer_connect((struct sockaddr *)
	    &peers.metrics_sin, sizeof(peers.metrics_sin), "metrics"))
		goto done;
	if (proc == PROC_CONTROL && !peer_connect((struct sockaddr *)
	    &peers.control_sun, sizeof(peers.control_sun), "control"))
		goto done;

	if (!peer_wait(&ibuf, MSG_FD, &imsg))
		goto done;
	fd = imsg_get_fd(&imsg);
	imsg_free(&imsg);
	if (fd == -1 || fstat(fd, &back) == -1 || back.st_ino != sent.st_ino) {
		printf("# the fd did not come back\n");
		goto done;
	}
	close(fd);
	if (kill(pid, SIGTERM) == -1 || !peer_wait(&ibuf, MSG_SIGNAL, &imsg))
		goto done;
	imsg_free(&imsg);
	ok = 1;
 done:
	/* EOF: the child leaves its loop and exits. */
	shutdown(env.sp[0], SHUT_WR);
	imsgbuf_clear(&ibuf);
	return ok;
}

/* Accept the child's connection: "ping", "pong". */
static int
peer_tcp(void)
{
	char	 buf[4];
	int	 s;

	if (wait_fd(peers.tcp, POLLIN) == -1 ||
	    (s = accept4(peers.tcp, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		printf("# no tcp connection from the child\n");
		return 0;
	}
	if (wait_fd(s, POLLIN) == -1 || read(s, buf, 4) != 4 ||
	    memcmp(buf, "ping", 4) != 0 || write(s, "pong", 4) != 4) {
		printf("# tcp exchange with the child failed\n");
		close(s);
		return 0;
	}
	close(s);
	return 1;
}

/*
 * A STUN Binding request to the "WireGuard port", sent again every 100
 * ms until the answer comes, from that port, with "pong".
 */
static int
peer_raw(void)
{
	static const uint8_t	 stun[20] = { 0x00, 0x01, 0x00, 0x00,
	    0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct sockaddr_in	 sin, from;
	struct pollfd		 pfd;
	socklen_t		 len;
	char			 buf[16];
	ssize_t			 n;
	int			 s, i, ok = 0;

	if (peers.raw == -1)
		return 1;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(peers.wg_port);
	pfd.fd = s;
	pfd.events = POLLIN;
	for (i = 0; i < TIMEOUT_MS / 100 && !ok; i++) {
		if (sendto(s, stun, sizeof(stun), 0, (struct sockaddr *)&sin,
		    sizeof(sin)) != sizeof(stun))
			fatal("sendto");
		if (poll(&pfd, 1, 100) != 1)
			continue;
		len = sizeof(from);
		n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &len);
		ok = n == 4 && memcmp(buf, "pong", 4) == 0 &&
		    ntohs(from.sin_port) == peers.wg_port;
	}
	close(s);
	if (!ok)
		printf("# no answer from the raw socket of port %u\n",
		    peers.wg_port);
	return ok;
}

/* Connect to what the child accepts on and read its whole reply. */
static int
peer_connect(const struct sockaddr *sa, socklen_t len, const char *want)
{
	char	 buf[64];
	size_t	 off = 0;
	ssize_t	 n;
	int	 s;

	if ((s = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("socket");
	if (connect(s, sa, len) == -1) {
		printf("# connect to the child: %s\n", strerror(errno));
		close(s);
		return 0;
	}
	while (off < sizeof(buf) - 1 && wait_fd(s, POLLIN) == 0 &&
	    (n = read(s, buf + off, sizeof(buf) - 1 - off)) > 0)
		off += n;
	buf[off] = '\0';
	close(s);
	if (strcmp(buf, want) != 0) {
		printf("# the child answered \"%s\"\n", buf);
		return 0;
	}
	return 1;
}

/* The next imsg, which must be of this type; answers DNS meanwhile. */
static int
peer_wait(struct imsgbuf *ibuf, uint32_t type, struct imsg *imsg)
{
	struct pollfd	 pfd[3];
	ssize_t		 n;

	for (;;) {
		if ((n = imsgbuf_get(ibuf, imsg)) == -1)
			fatal("imsgbuf_get");
		if (n > 0) {
			if (imsg_get_type(imsg) == type)
				return 1;
			printf("# imsg %u, expected %u\n",
			    imsg_get_type(imsg), type);
			imsg_free(imsg);
			return 0;
		}
		pfd[0].fd = ibuf->fd;
		pfd[1].fd = peers.dns_udp;
		pfd[2].fd = peers.dns_tcp;
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		if (poll(pfd, nitems(pfd), TIMEOUT_MS) <= 0) {
			printf("# no imsg %u from the child\n", type);
			return 0;
		}
		if (pfd[1].revents & POLLIN)
			dns_udp();
		if (pfd[2].revents & POLLIN)
			dns_tcp();
		if ((pfd[0].revents & (POLLIN | POLLHUP)) &&
		    imsgbuf_read(ibuf) != 1) {
			printf("# the child closed before imsg %u\n", type);
			return 0;
		}
	}
}

int
wait_fd(int fd, short events)
{
	struct pollfd	 pfd = { fd, events, 0 };

	if (poll(&pfd, 1, TIMEOUT_MS) <= 0)
		return -1;
	return 0;
}

static int
read_full(int fd, void *buf, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < len) {
		if (wait_fd(fd, POLLIN) == -1 ||
		    (n = read(fd, (char *)buf + off, len - off)) <= 0)
			return -1;
		off += n;
	}
	return 0;
}

/*
 * The reply to query q of n bytes, in r (DNS_MAX bytes or more), or 0 to
 * drop it: an A query gets 192.0.2.1 and 192.0.2.2 (two, so that glibc
 * sorts them), or with truncate only the truncation bit; anything else
 * gets no data.
 */
static size_t
dns_reply(const unsigned char *q, size_t n, unsigned char *r, int truncate)
{
	static const unsigned char a[] = {
		0xc0, 0x0c,		/* the name in the question */
		0x00, 0x01, 0x00, 0x01,	/* A, IN */
		0x00, 0x00, 0x00, 0x3c,	/* TTL 60 */
		0x00, 0x04, 192, 0, 2, 1,
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c,
		0x00, 0x04, 192, 0, 2, 2
	};
	size_t	 off, len;
	int	 isa;

	if (n < 12 || n > DNS_MAX - sizeof(a))
		return 0;
	for (off = 12; off < n && q[off] != 0; off += q[off] + 1)
		if (q[off] > 63)
			return 0;
	if (off + 5 > n)
		return 0;
	isa = q[off + 1] == 0 && q[off + 2] == 1;
	len = off + 5;
	memcpy(r, q, len);
	r[2] = 0x81 | (isa && truncate ? 0x02 : 0);	/* response, RD */
	r[3] = 0x80;					/* RA, no error */
	memset(r + 4, 0, 8);
	r[5] = 1;
	if (isa && !truncate) {
		r[7] = 2;
		memcpy(r + len, a, sizeof(a));
		len += sizeof(a);
	}
	return len;
}

static void
dns_udp(void)
{
	unsigned char		 q[DNS_MAX], r[DNS_MAX];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	ssize_t			 n;
	size_t			 len;

	if ((n = recvfrom(peers.dns_udp, q, sizeof(q), 0,
	    (struct sockaddr *)&ss, &sslen)) == -1)
		return;
	if ((len = dns_reply(q, n, r, 1)) > 0)
		sendto(peers.dns_udp, r, len, 0, (struct sockaddr *)&ss, sslen);
}

/* One connection: length-prefixed queries, answered until EOF. */
static void
dns_tcp(void)
{
	unsigned char	 q[DNS_MAX], r[2 + DNS_MAX];
	uint16_t	 qlen;
	size_t		 len;
	int		 s;

	if ((s = accept4(peers.dns_tcp, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	while (read_full(s, &qlen, sizeof(qlen)) == 0) {
		qlen = ntohs(qlen);
		if (qlen > sizeof(q) || read_full(s, q, qlen) == -1 ||
		    (len = dns_reply(q, qlen, r + 2, 0)) == 0)
			break;
		r[0] = len >> 8;
		r[1] = len & 0xff;
		if (write(s, r, len + 2) != (ssize_t)len + 2)
			break;
	}
	close(s);
}
