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
 * Drives netbirdd/ws.c against an echo server (regress/fixtures/
 * wsserver.py): connect, send messages, check that each comes back,
 * in order and intact.  It prints what happened, one "key=value" line
 * per event, for ws_test.sh to judge:
 *
 *   open ms=T peer=ADDR:PORT
 *   echoed=N accepted=A dropped=D bad=B
 *   stats tx_msgs=.. rx_msgs=.. tx_bytes=.. rx_bytes=.. tx_drops=..
 *   rate msgs_per_s=.. mb_per_s=..
 *   closed ms=T reason=...
 *
 * usage: ws_drive [-Ev] [-c ca.pem] [-a addr]... [-d deadline_ms]
 *	      [-n count] [-s size,size,...|lo-hi] [-w window]
 *	      [-F open|message] [-T total_ms] url
 *
 * Message i takes the sizes of the list in turn, or lo + i modulo
 * (hi - lo + 1).  -w 0 sends all messages at once (a burst: what the
 * queue refuses is dropped); -w W keeps at most W messages unanswered.
 * -F frees the connection from inside that callback.  -E sends a
 * message before the connection is open ("early_send=-1": refused).
 * Exit status 0 when every accepted message came back and nothing
 * unexpected happened.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "log.h"
#include "relay.h"

#define MAX_SIZES	32
#define MAX_ADDRS	8

static struct {
	struct event_base	*base;
	struct ws_conn		*conn;
	struct timespec		 t0, topen, tlast;
	size_t			 sizes[MAX_SIZES];
	size_t			 nsizes;
	size_t			 lo, hi;	/* -s lo-hi: every size */
	long			 count;
	long			 window;
	long			 next;		/* next sequence number */
	long			 accepted;
	long			 dropped;
	long			 echoed;
	long			 bad;
	uint32_t		*acc;		/* accepted sequence numbers */
	long			 expect;	/* index into acc */
	uint64_t		 bytes;
	const char		*free_in;
	int			 opened;
	int			 closed;
	int			 done;
} d;

static double
ms_since(const struct timespec *t)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1e3 +
	    (now.tv_nsec - t->tv_nsec) / 1e6;
}

static size_t
msg_size(long seq)
{
	if (d.hi != 0)
		return d.lo + seq % (d.hi - d.lo + 1);
	return d.sizes[seq % d.nsizes];
}

static void
msg_fill(uint8_t *p, size_t len, uint32_t seq)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 7 + i);
	if (len >= 4) {
		p[0] = seq >> 24;
		p[1] = seq >> 16;
		p[2] = seq >> 8;
		p[3] = seq;
	}
}

static void
report(void)
{
	struct ws_stats	st;
	double		secs;

	printf("echoed=%ld accepted=%ld dropped=%ld bad=%ld\n", d.echoed,
	    d.accepted, d.dropped, d.bad);
	if (d.conn != NULL) {
		ws_conn_stats(d.conn, &st);
		printf("stats tx_msgs=%llu rx_msgs=%llu tx_bytes=%llu "
		    "rx_bytes=%llu tx_drops=%llu\n",
		    (unsigned long long)st.tx_msgs,
		    (unsigned long long)st.rx_msgs,
		    (unsigned long long)st.tx_bytes,
		    (unsigned long long)st.rx_bytes,
		    (unsigned long long)st.tx_drops);
	}
	if (d.opened && d.echoed > 0) {
		secs = ((d.tlast.tv_sec - d.topen.tv_sec) * 1e3 +
		    (d.tlast.tv_nsec - d.topen.tv_nsec) / 1e6) / 1e3;
		if (secs > 0)
			printf("rate msgs_per_s=%.0f mb_per_s=%.2f\n",
			    d.echoed / secs, d.bytes / secs / 1e6);
	}
	fflush(stdout);
}

static void
finish(void)
{
	if (d.done)
		return;
	d.done = 1;
	report();
	ws_conn_free(d.conn);
	d.conn = NULL;
	event_base_loopexit(d.base, NULL);
}

/* Send while the window allows. */
static void
pump(void)
{
	static uint8_t	buf[RELAY_MSG_MAX + 1];
	size_t		len;

	while (d.conn != NULL && d.next < d.count &&
	    (d.window == 0 || d.next - d.echoed - d.dropped < d.window)) {
		len = msg_size(d.next);
		msg_fill(buf, len, d.next);
		if (ws_conn_send(d.conn, buf, len) == 0)
			d.acc[d.accepted++] = d.next;
		else
			d.dropped++;
		d.next++;
	}
	if (d.conn != NULL && d.next == d.count && d.echoed == d.accepted)
		finish();
}

static void
on_open(void *arg)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	char			 a[INET6_ADDRSTRLEN] = "?";
	uint16_t		 port = 0;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &d.topen);
	d.opened = 1;
	if (ws_conn_peer(d.conn, &ss) == 0) {
		if (ss.ss_family == AF_INET) {
			inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
			port = ntohs(sin6->sin6_port);
		}
	}
	printf("open ms=%.0f peer=%s:%u\n", ms_since(&d.t0), a, port);
	fflush(stdout);
	if (d.free_in != NULL && strcmp(d.free_in, "open") == 0) {
		ws_conn_free(d.conn);
		d.conn = NULL;
		/* Any callback now would be a use after free for ASan. */
		event_base_loopexit(d.base, &(struct timeval){ 0, 300000 });
		return;
	}
	pump();
}

static void
on_message(void *arg, const uint8_t *p, size_t len)
{
	static uint8_t	want[RELAY_MSG_MAX + 1];
	uint32_t	seq;

	(void)arg;
	if (d.expect >= d.accepted) {
		d.bad++;
		return;
	}
	seq = d.acc[d.expect++];
	msg_fill(want, msg_size(seq), seq);
	if (len != msg_size(seq) || memcmp(p, want, len) != 0)
		d.bad++;
	d.echoed++;
	d.bytes += len;
	clock_gettime(CLOCK_MONOTONIC, &d.tlast);
	if (d.free_in != NULL && strcmp(d.free_in, "message") == 0) {
		report();
		ws_conn_free(d.conn);
		d.conn = NULL;
		event_base_loopexit(d.base, &(struct timeval){ 0, 300000 });
		return;
	}
	pump();
}

static void
on_closed(void *arg, const char *reason)
{
	(void)arg;
	printf("closed ms=%.0f reason=%s\n", ms_since(&d.t0), reason);
	d.closed = 1;
	finish();
}

static void
on_total(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	printf("timeout\n");
	finish();
}

static void
read_ca(const char *path, void **ca, size_t *len)
{
	struct stat	sb;
	int		fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &sb) == -1)
		err(1, "%s", path);
	if ((*ca = malloc(sb.st_size)) == NULL)
		err(1, NULL);
	if (read(fd, *ca, sb.st_size) != sb.st_size)
		errx(1, "%s: short read", path);
	*len = sb.st_size;
	close(fd);
}

static void
parse_sizes(char *s)
{
	const char	*errstr;
	char		*t;

	if ((t = strchr(s, '-')) != NULL) {
		*t++ = '\0';
		d.lo = strtonum(s, 0, RELAY_MSG_MAX, &errstr);
		if (errstr == NULL)
			d.hi = strtonum(t, d.lo + 1, RELAY_MSG_MAX + 1,
			    &errstr);
		if (errstr != NULL)
			errx(1, "sizes %s-%s: %s", s, t, errstr);
		return;
	}
	d.nsizes = 0;
	while ((t = strsep(&s, ",")) != NULL) {
		if (d.nsizes == MAX_SIZES)
			errx(1, "too many sizes");
		d.sizes[d.nsizes++] = strtonum(t, 0, RELAY_MSG_MAX + 1,
		    &errstr);
		if (errstr != NULL)
			errx(1, "size %s: %s", t, errstr);
	}
}

static void
parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		errx(1, "bad address %s", s);
}

static __dead void
usage(void)
{
	fprintf(stderr, "usage: ws_drive [-Ev] [-c ca.pem] [-a addr]... "
	    "[-d deadline_ms] [-n count]\n\t[-s size,...|lo-hi] [-w window] "
	    "[-F open|message] [-T total_ms] url\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct ws_conn_cb cb = { on_open, on_message, on_closed };
	struct sockaddr_storage	 addrs[MAX_ADDRS];
	struct event		*total;
	struct timeval		 tv;
	const char		*errstr;
	void			*ca = NULL;
	size_t			 calen = 0, naddrs = 0;
	long			 deadline = 5000, total_ms = 60000;
	int			 ch, verbose = 0, early = 0, rc;

	d.count = 10;
	d.window = 1;
	d.sizes[0] = 100;
	d.nsizes = 1;
	while ((ch = getopt(argc, argv, "a:c:d:EF:n:s:T:vw:")) != -1) {
		switch (ch) {
		case 'a':
			if (naddrs == MAX_ADDRS)
				errx(1, "too many addresses");
			parse_addr(optarg, &addrs[naddrs++]);
			break;
		case 'c':
			read_ca(optarg, &ca, &calen);
			break;
		case 'd':
			deadline = strtonum(optarg, 1, 600000, &errstr);
			if (errstr != NULL)
				errx(1, "deadline %s: %s", optarg, errstr);
			break;
		case 'E':
			early = 1;
			break;
		case 'F':
			d.free_in = optarg;
			break;
		case 'n':
			d.count = strtonum(optarg, 0, 10000000, &errstr);
			if (errstr != NULL)
				errx(1, "count %s: %s", optarg, errstr);
			break;
		case 's':
			parse_sizes(optarg);
			break;
		case 'T':
			total_ms = strtonum(optarg, 1, 3600000, &errstr);
			if (errstr != NULL)
				errx(1, "total %s: %s", optarg, errstr);
			break;
		case 'v':
			verbose++;
			break;
		case 'w':
			d.window = strtonum(optarg, 0, 10000000, &errstr);
			if (errstr != NULL)
				errx(1, "window %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	log_init(1, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit("ws_drive");
	if ((d.acc = calloc(d.count + 1, sizeof(*d.acc))) == NULL)
		err(1, NULL);
	if ((d.base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	if (ws_init(d.base, ca, calen) == -1)
		errx(1, "ws_init");
	free(ca);
	clock_gettime(CLOCK_MONOTONIC, &d.t0);
	d.conn = ws_conn_open(argv[optind], addrs, naddrs, deadline, &cb,
	    NULL);
	if (d.conn == NULL) {
		printf("refused\n");
		return 1;
	}
	if (early)
		printf("early_send=%d\n", ws_conn_send(d.conn,
		    (const uint8_t *)"x", 1));
	tv.tv_sec = total_ms / 1000;
	tv.tv_usec = (total_ms % 1000) * 1000;
	if ((total = evtimer_new(d.base, on_total, NULL)) == NULL ||
	    evtimer_add(total, &tv) == -1)
		errx(1, "evtimer");
	event_base_dispatch(d.base);
	/* A free from inside a callback is finished by a zero timer. */
	event_base_loop(d.base, EVLOOP_NONBLOCK);
	ws_conn_free(d.conn);
	event_free(total);
	event_base_free(d.base);
	free(d.acc);
	rc = d.bad == 0 && d.echoed == d.accepted && !d.closed;
	return rc ? 0 : 1;
}
