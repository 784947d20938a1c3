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
 * Drives the TURN client (netbirdd/ice_turn.c) and the WireGuard proxy
 * (netbirdd/ice_proxy.c) for turn.sh, and plays the peers behind the
 * relay.  One command per run; results on stdout as "key value" lines,
 * logs on stderr; exit 0 if the command did what it should.
 *
 *   alloc SERVER USER PASS
 *	allocate, print "relayed A" and "mapped A", free (Refresh 0)
 *   badpass SERVER USER PASS
 *	allocate with credentials the server refuses; waits 3 s more and
 *	prints "failed N" (calls of the callback) and "why REASON"
 *   relay SERVER USER PASS PEER SECONDS [USER2 PASS2]
 *	allocate (then hand the client USER2 and PASS2 as new credentials,
 *	if given), permit PEER (an echo), send one datagram at once (a Send
 *	indication: the channel cannot be bound yet), then every 200 ms
 *	for SECONDS over the bound channel; every datagram must come
 *	back.  Prints "indication_echoed", "channel_sent", "channel_echoed",
 *	"first_lost" (seconds into the run; -1: none) and the counters
 *   bench SERVER USER PASS PEER SECONDS SIZE MBPS
 *	allocate, permit PEER (a sink), then send SIZE-byte datagrams for
 *	SECONDS at MBPS megabytes a second (0: as fast as the socket takes
 *	them); prints "sent", "dropped", "cpu_s" (user + system)
 *   echo PORT
 *	UDP echo on PORT until killed; prints "ready"
 *   sink PORT
 *	counts UDP datagrams on PORT until 2 s without one after the
 *	first; prints "packets", "bytes", "seconds" (first to last)
 *   proxy
 *	a fake WireGuard socket on 127.0.0.1 and a proxy to it: what it
 *	sends reaches the callback, what is delivered reaches it, a
 *	stranger's datagram does not, a delivery with nobody listening is
 *	a counted drop
 * SERVER and PEER are IPv4 address:port.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "log.h"
#include "netbirdd.h"
#include "ice.h"

struct proc_env		 penv;

static struct turn_client *tc;
static int		 nready, nfailed;
static char		 why[256];
static struct sockaddr_storage relayed, mapped;
static uint8_t		 last[2048];
static size_t		 lastlen;
static int		 nrecv;
static struct event	 tick;

static void	usage(void) __attribute__((__noreturn__));
static int	addr_parse(const char *, struct sockaddr_storage *);
static const char *addr_str(const struct sockaddr_storage *);
static double	now(void);
static void	tick_cb(int, short, void *);
static int	run_until(int (*)(void), double);
static void	cb_ready(void *, const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static void	cb_failed(void *, const char *);
static void	cb_recv(void *, const struct sockaddr_storage *,
		    const uint8_t *, size_t);
static int	is_ready(void);
static int	is_failed(void);
static int	is_bound(void);
static int	never(void);
static int	start(char **);
static void	print_stats(void);
static int	got_wanted(void);
static int	echoed(const char *);
static int	cmd_alloc(char **);
static int	cmd_badpass(char **);
static int	cmd_relay(char **);
static int	cmd_bench(char **);
static int	cmd_echo(char **);
static int	cmd_sink(char **);
static int	cmd_proxy(void);
static void	proxy_cb(void *, const uint8_t *, size_t);
static int	proxy_got_one(void);
static int	udp_bound(uint16_t, struct sockaddr_storage *);

static const struct turn_cb cb = { cb_ready, cb_failed, cb_recv };

static void
usage(void)
{
	fprintf(stderr, "usage: turn_drive alloc|badpass SERVER USER PASS\n"
	    "       turn_drive relay SERVER USER PASS PEER SECONDS "
	    "[USER2 PASS2]\n"
	    "       turn_drive bench SERVER USER PASS PEER SECONDS SIZE MBPS\n"
	    "       turn_drive echo|sink PORT\n"
	    "       turn_drive proxy\n");
	exit(2);
}

static int
addr_parse(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	char			 buf[64], *p;
	const char		*err;

	memset(ss, 0, sizeof(*ss));
	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf) ||
	    (p = strrchr(buf, ':')) == NULL)
		return -1;
	*p++ = '\0';
	sin->sin_family = AF_INET;
	sin->sin_port = htons(strtonum(p, 1, 65535, &err));
	if (err != NULL || inet_pton(AF_INET, buf, &sin->sin_addr) != 1)
		return -1;
	return 0;
}

static const char *
addr_str(const struct sockaddr_storage *ss)
{
	static char		 buf[64];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char			 a[INET_ADDRSTRLEN];

	if (ss->ss_family != AF_INET)
		return "-";
	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	snprintf(buf, sizeof(buf), "%s:%u", a, ntohs(sin->sin_port));
	return buf;
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
tick_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
}

/* Run the loop until done() or the time is up; 1 if done. */
static int
run_until(int (*done)(void), double seconds)
{
	double	 end = now() + seconds;

	while (!done()) {
		if (now() >= end)
			return 0;
		event_base_loop(penv.evbase, EVLOOP_ONCE);
	}
	return 1;
}

static void
cb_ready(void *arg, const struct sockaddr_storage *r,
    const struct sockaddr_storage *m)
{
	(void)arg;
	nready++;
	relayed = *r;
	mapped = *m;
}

static void
cb_failed(void *arg, const char *reason)
{
	(void)arg;
	nfailed++;
	strlcpy(why, reason, sizeof(why));
}

static void
cb_recv(void *arg, const struct sockaddr_storage *from, const uint8_t *p,
    size_t len)
{
	(void)arg;
	(void)from;
	nrecv++;
	lastlen = MINIMUM(len, sizeof(last) - 1);
	memcpy(last, p, lastlen);
	last[lastlen] = '\0';
}

static int
is_ready(void)
{
	return nready > 0 || nfailed > 0;
}

static int
is_failed(void)
{
	return nfailed > 0;
}

static int
is_bound(void)
{
	struct turn_stats	 st;

	turn_client_stats(tc, &st);
	return st.channel_binds > 0;
}

static int
never(void)
{
	return 0;
}

/* SERVER USER PASS: a client, allocated; 0 or -1. */
static int
start(char **av)
{
	struct sockaddr_storage	 server;

	if (addr_parse(av[0], &server) == -1)
		usage();
	if ((tc = turn_client_new(&server, av[1], av[2], &cb, NULL)) == NULL)
		return -1;
	if (!run_until(is_ready, 30) || nfailed > 0) {
		printf("failed %d\nwhy %s\n", nfailed, why);
		return -1;
	}
	printf("relayed %s\n", addr_str(&relayed));
	printf("mapped %s\n", addr_str(&mapped));
	return 0;
}

static void
print_stats(void)
{
	struct turn_stats	 st;

	turn_client_stats(tc, &st);
	printf("refreshes %llu\npermissions %llu\nchannel_binds %llu\n"
	    "stale_nonces %llu\nretransmits %llu\ntx_send %llu\n"
	    "tx_chan %llu\ntx_drops %llu\nrx_data %llu\nrx_chan %llu\n"
	    "rx_drops %llu\n",
	    (unsigned long long)st.refreshes,
	    (unsigned long long)st.permissions,
	    (unsigned long long)st.channel_binds,
	    (unsigned long long)st.stale_nonces,
	    (unsigned long long)st.retransmits,
	    (unsigned long long)st.tx_send, (unsigned long long)st.tx_chan,
	    (unsigned long long)st.tx_drops, (unsigned long long)st.rx_data,
	    (unsigned long long)st.rx_chan, (unsigned long long)st.rx_drops);
}

static const char *wanted;

static int
got_wanted(void)
{
	return nfailed > 0 || (nrecv > 0 && strcmp((char *)last, wanted) == 0);
}

/* Wait up to a second for this text to come back. */
static int
echoed(const char *text)
{
	wanted = text;
	return run_until(got_wanted, 1) && nfailed == 0;
}

static int
cmd_alloc(char **av)
{
	if (start(av) == -1)
		return 1;
	turn_client_free(tc);
	return 0;
}

static int
cmd_badpass(char **av)
{
	struct sockaddr_storage	 server;

	if (addr_parse(av[0], &server) == -1)
		usage();
	if ((tc = turn_client_new(&server, av[1], av[2], &cb, NULL)) == NULL)
		return 1;
	run_until(is_failed, 30);
	run_until(never, 3);
	printf("failed %d\nready %d\nwhy %s\n", nfailed, nready, why);
	turn_client_free(tc);
	return nfailed == 1 && nready == 0 ? 0 : 1;
}

static int
cmd_relay(char **av)
{
	struct sockaddr_storage	 peer;
	struct turn_stats	 st;
	const char		*err;
	char			 text[64];
	double			 t0, end;
	int			 seconds, sent = 0, back = 0, ok;
	double			 first_lost = -1;

	if (addr_parse(av[3], &peer) == -1)
		usage();
	seconds = strtonum(av[4], 1, 3600, &err);
	if (err != NULL)
		usage();
	if (start(av) == -1)
		return 1;
	if (av[5] != NULL)
		turn_client_credentials(tc, av[5], av[6]);
	if (turn_client_permit(tc, &peer) == -1)
		return 1;
	turn_client_stats(tc, &st);
	ok = turn_client_send(tc, &peer, "indication", 10) == 0;
	turn_client_stats(tc, &st);
	ok = ok && st.tx_send == 1 && echoed("indication");
	printf("indication_echoed %d\n", ok);
	if (!run_until(is_bound, 5)) {
		printf("bound 0\n");
		print_stats();
		return 1;
	}
	t0 = now();
	end = t0 + seconds;
	while (now() < end && nfailed == 0) {
		snprintf(text, sizeof(text), "channel %d", sent);
		sent++;
		if (turn_client_send(tc, &peer, text, strlen(text)) == 0 &&
		    echoed(text))
			back++;
		else if (first_lost < 0)
			first_lost = now() - t0;
		run_until(never, 0.2);
	}
	printf("channel_sent %d\nchannel_echoed %d\nfirst_lost %.1f\n"
	    "failed %d\nwhy %s\n", sent, back, first_lost, nfailed, why);
	print_stats();
	turn_client_free(tc);
	return ok && back == sent && nfailed == 0 ? 0 : 1;
}

static int
cmd_bench(char **av)
{
	struct sockaddr_storage	 peer;
	struct rusage		 ru;
	const char		*err;
	uint8_t			*buf;
	unsigned long long	 sent = 0, dropped = 0;
	struct timespec		 pause = { 0, 200000 };
	double			 t0, end, rate;
	size_t			 size;
	int			 seconds, i;

	if (addr_parse(av[3], &peer) == -1)
		usage();
	seconds = strtonum(av[4], 1, 600, &err);
	if (err != NULL)
		usage();
	size = strtonum(av[5], 1, 65000, &err);
	if (err != NULL)
		usage();
	rate = strtonum(av[6], 0, 100000, &err) * 1e6;
	if (err != NULL)
		usage();
	if ((buf = calloc(1, size)) == NULL)
		fatal("calloc");
	if (start(av) == -1 || turn_client_permit(tc, &peer) == -1 ||
	    !run_until(is_bound, 5))
		return 1;
	t0 = now();
	end = t0 + seconds;
	while (now() < end && nfailed == 0) {
		if (rate > 0 && (sent + dropped + 1) * size > rate *
		    (now() - t0)) {
			event_base_loop(penv.evbase, EVLOOP_NONBLOCK);
			nanosleep(&pause, NULL);
			continue;
		}
		for (i = 0; i < (rate > 0 ? 1 : 256); i++) {
			if (turn_client_send(tc, &peer, buf, size) == 0)
				sent++;
			else {
				dropped++;
				/* Give the socket time to drain. */
				poll(NULL, 0, 1);
				break;
			}
		}
		event_base_loop(penv.evbase, EVLOOP_NONBLOCK);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("sent %llu\ndropped %llu\ncpu_s %.2f\nfailed %d\n", sent,
	    dropped, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, nfailed);
	turn_client_free(tc);
	free(buf);
	return nfailed == 0 ? 0 : 1;
}

static int
udp_bound(uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	socklen_t		 len = sizeof(*ss);
	int			 fd;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(port ? INADDR_ANY : INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)ss, &len) == -1)
		fatal("%s", __func__);
	return fd;
}

static int
cmd_echo(char **av)
{
	struct sockaddr_storage	 ss, from;
	socklen_t		 flen;
	const char		*err;
	uint8_t			 buf[65536];
	ssize_t			 n;
	int			 fd;

	fd = udp_bound(strtonum(av[0], 1, 65535, &err), &ss);
	if (err != NULL)
		usage();
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		flen = sizeof(from);
		if ((n = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &flen)) == -1)
			fatal("recvfrom");
		sendto(fd, buf, n, 0, (struct sockaddr *)&from, flen);
	}
}

static int
cmd_sink(char **av)
{
	struct sockaddr_storage	 ss;
	struct pollfd		 pfd;
	const char		*err;
	uint8_t			 buf[65536];
	unsigned long long	 packets = 0, bytes = 0;
	double			 first = 0, lastt = 0;
	ssize_t			 n;

	pfd.fd = udp_bound(strtonum(av[0], 1, 65535, &err), &ss);
	if (err != NULL)
		usage();
	pfd.events = POLLIN;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(&pfd, 1, packets ? 2000 : -1) == 0)
			break;
		while ((n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			if (packets++ == 0)
				first = now();
			bytes += n;
			lastt = now();
		}
	}
	printf("packets %llu\nbytes %llu\nseconds %.3f\n", packets, bytes,
	    lastt - first);
	return 0;
}

static int	proxy_got;
static uint8_t	proxy_last[64];

static void
proxy_cb(void *arg, const uint8_t *p, size_t len)
{
	(void)arg;
	proxy_got++;
	memset(proxy_last, 0, sizeof(proxy_last));
	memcpy(proxy_last, p, MINIMUM(len, sizeof(proxy_last) - 1));
}

static int
proxy_got_one(void)
{
	return proxy_got > 0;
}

static int
cmd_proxy(void)
{
	struct sockaddr_storage	 wg, other, paddr;
	struct sockaddr_in	*w = (struct sockaddr_in *)&wg;
	struct ice_proxy	*p;
	struct ice_proxy_stats	 st;
	char			 buf[64];
	int			 wfd, ofd, fails = 0;
	ssize_t			 n;

	wfd = udp_bound(0, &wg);
	ofd = udp_bound(0, &other);
	if ((p = ice_proxy_new(ntohs(w->sin_port), proxy_cb, NULL)) == NULL)
		return 1;
	ice_proxy_addr(p, &paddr);
	printf("proxy %s\n", addr_str(&paddr));
	printf("wg %s\n", addr_str(&wg));

	sendto(ofd, "stranger", 8, 0, (struct sockaddr *)&paddr,
	    sizeof(struct sockaddr_in));
	sendto(wfd, "from-wg", 7, 0, (struct sockaddr *)&paddr,
	    sizeof(struct sockaddr_in));
	run_until(proxy_got_one, 2);
	run_until(never, 0.2);
	printf("callback %d %s\n", proxy_got, proxy_last);
	if (proxy_got != 1 || strcmp((char *)proxy_last, "from-wg") != 0)
		fails++;

	if (ice_proxy_deliver(p, (const uint8_t *)"to-wg", 5) == -1)
		fails++;
	n = recv(wfd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	printf("delivered %s\n", buf);
	if (strcmp(buf, "to-wg") != 0)
		fails++;

	/*
	 * Nobody on the port: the ICMP error (loopback: at once) makes the
	 * next one fail, unless the read handler has taken it first.
	 */
	close(wfd);
	ice_proxy_deliver(p, (const uint8_t *)"lost", 4);
	ice_proxy_deliver(p, (const uint8_t *)"lost", 4);
	ice_proxy_stats(p, &st);
	printf("from_wg %llu\nto_wg %llu\ndrops %llu\n",
	    (unsigned long long)st.from_wg, (unsigned long long)st.to_wg,
	    (unsigned long long)st.drops);
	if (st.from_wg != 1 || st.to_wg < 2 || st.drops < 1)
		fails++;
	ice_proxy_free(p);
	close(ofd);
	return fails ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	struct timeval	 tv = { 0, 20000 };
	int		 verbose = getenv("TURN_DRIVE_DEBUG") != NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, LOG_DAEMON);
	log_setverbose(verbose);
	if ((penv.evbase = event_base_new()) == NULL)
		fatalx("event_base_new");
	event_assign(&tick, penv.evbase, -1, EV_PERSIST, tick_cb, NULL);
	event_add(&tick, &tv);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "alloc") == 0 && argc == 5)
		return cmd_alloc(argv + 2);
	if (strcmp(argv[1], "badpass") == 0 && argc == 5)
		return cmd_badpass(argv + 2);
	if (strcmp(argv[1], "relay") == 0 && (argc == 7 || argc == 9))
		return cmd_relay(argv + 2);
	if (strcmp(argv[1], "bench") == 0 && argc == 9)
		return cmd_bench(argv + 2);
	if (strcmp(argv[1], "echo") == 0 && argc == 3)
		return cmd_echo(argv + 2);
	if (strcmp(argv[1], "sink") == 0 && argc == 3)
		return cmd_sink(argv + 2);
	if (strcmp(argv[1], "proxy") == 0 && argc == 2)
		return cmd_proxy();
	usage();
}
