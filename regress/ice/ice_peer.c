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
 * Our ICE agent on its own, for the interop test (run.sh): root, in a
 * network namespace.  It opens the raw socket of port -p as the parent
 * does (rawsock_open), binds a plain UDP socket on the same port in
 * WireGuard's place, gives the network layer the host address -a, and
 * speaks lines on stdin and stdout:
 *
 *   out  cred UFRAG PWD           our credentials, at once
 *   in   cred UFRAG PWD           the remote's: the agent starts
 *   in   cand CANDIDATE           a remote candidate (pion's format)
 *   out  cand CANDIDATE           a local one
 *   out  connected MS LTYPE LADDR RTYPE RADDR RTT_US
 *   out  failed MS
 *   in   send TEXT                from the WireGuard socket to the
 *                                 selected remote address
 *   out  recv TEXT FROM           a datagram on the WireGuard socket
 *                                 that is not STUN
 *   in   quit
 *
 * MS are milliseconds since the agent started.  Logs go to stderr.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <event.h>
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

#define PENDING_MAX	32

static void	 usage(void) __dead;
static int64_t	 now_ms(void);
static void	 stdin_read(int, short, void *);
static void	 line(char *);
static void	 start(const char *, const char *);
static void	 send_text(const char *);
static void	 wg_read(int, short, void *);
static void	 on_candidate(void *, const struct ice_cand *);
static void	 on_state(void *, enum ice_agent_state);
static void	 on_data(void *, const uint8_t *, size_t);

static const struct ice_agent_cb cb = {
	.candidate = on_candidate,
	.state = on_state,
	.data = on_data,
};

static struct ice_agent	*agent;
static int		 controlling;
static char		 ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
static struct ice_cand	 pending[PENDING_MAX];
static size_t		 npending;
static int64_t		 started;
static int		 wg = -1;
static char		 inbuf[4096];
static size_t		 inlen;

static void
usage(void)
{
	fprintf(stderr, "usage: ice_peer [-v] -r controlling|controlled "
	    "-a address [-p port]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct nbd_raw_socket	 rs;
	struct nbd_host_addrs	 ha;
	struct sockaddr_in	 sin;
	struct event		 in_ev, wg_ev;
	struct in_addr		 addr;
	const char		*errstr, *role = NULL, *host = NULL;
	int			 ch, fd, verbose = 0;
	uint16_t		 port = NBD_WG_PORT;

	while ((ch = getopt(argc, argv, "a:p:r:v")) != -1) {
		switch (ch) {
		case 'a':
			host = optarg;
			break;
		case 'p':
			port = strtonum(optarg, 1, 65535, &errstr);
			if (errstr != NULL)
				errx(1, "port %s: %s", optarg, errstr);
			break;
		case 'r':
			role = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (role == NULL || host == NULL || inet_pton(AF_INET, host,
	    &addr) != 1)
		usage();
	if (strcmp(role, "controlling") == 0)
		controlling = 1;
	else if (strcmp(role, "controlled") != 0)
		usage();

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit("ice_peer");
	penv.evbase = event_init();

	if ((fd = rawsock_open(AF_INET, port)) == -1)
		err(1, "rawsock_open");
	if ((wg = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		err(1, "socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (bind(wg, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind %u", port);
	event_set(&wg_ev, wg, EV_READ | EV_PERSIST, wg_read, NULL);
	event_add(&wg_ev, NULL);

	memset(&rs, 0, sizeof(rs));
	rs.af = AF_INET;
	rs.port = port;
	ice_net_raw_socket(fd, &rs);
	memset(&ha, 0, sizeof(ha));
	ha.n = 1;
	ha.addr[0].af = AF_INET;
	ha.addr[0].plen = 32;
	memcpy(ha.addr[0].addr, &addr, sizeof(addr));
	ice_net_host_addrs(&ha);

	ice_random_letters(ufrag, ICE_UFRAG_LEN);
	ice_random_letters(pwd, ICE_PWD_LEN);
	printf("cred %s %s\n", ufrag, pwd);

	event_set(&in_ev, STDIN_FILENO, EV_READ | EV_PERSIST, stdin_read,
	    NULL);
	event_add(&in_ev, NULL);
	event_dispatch();
	ice_agent_free(agent);
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
stdin_read(int fd, short event, void *arg)
{
	ssize_t	 n;
	char	*nl;

	(void)event;
	(void)arg;
	if ((n = read(fd, inbuf + inlen, sizeof(inbuf) - inlen - 1)) <= 0) {
		event_loopexit(NULL);
		return;
	}
	inlen += n;
	inbuf[inlen] = '\0';
	while ((nl = strchr(inbuf, '\n')) != NULL) {
		*nl = '\0';
		line(inbuf);
		inlen -= nl + 1 - inbuf;
		memmove(inbuf, nl + 1, inlen + 1);
	}
	if (inlen == sizeof(inbuf) - 1)
		errx(1, "a line too long");
}

static void
line(char *s)
{
	struct ice_cand	 c;
	const char	*why;
	char		*u, *p;

	if (strncmp(s, "cred ", 5) == 0) {
		u = s + 5;
		if ((p = strchr(u, ' ')) == NULL)
			errx(1, "cred: no password");
		*p++ = '\0';
		start(u, p);
	} else if (strncmp(s, "cand ", 5) == 0) {
		if (ice_cand_parse(s + 5, &c, &why) == -1) {
			warnx("candidate %s: %s", s + 5, why);
			return;
		}
		if (agent != NULL)
			ice_agent_add_remote(agent, &c);
		else if (npending < PENDING_MAX)
			pending[npending++] = c;
	} else if (strncmp(s, "send ", 5) == 0)
		send_text(s + 5);
	else if (strcmp(s, "quit") == 0)
		event_loopexit(NULL);
	else
		warnx("unknown line: %s", s);
}

static void
start(const char *ru, const char *rp)
{
	struct ice_agent_params	p;
	size_t			i;

	if (agent != NULL)
		errx(1, "the agent runs already");
	memset(&p, 0, sizeof(p));
	p.controlling = controlling;
	strlcpy(p.local_ufrag, ufrag, sizeof(p.local_ufrag));
	strlcpy(p.local_pwd, pwd, sizeof(p.local_pwd));
	strlcpy(p.remote_ufrag, ru, sizeof(p.remote_ufrag));
	strlcpy(p.remote_pwd, rp, sizeof(p.remote_pwd));
	p.cb = &cb;
	started = now_ms();
	agent = ice_agent_new(&p);
	for (i = 0; i < npending; i++)
		ice_agent_add_remote(agent, &pending[i]);
	npending = 0;
}

/* As WireGuard does once its endpoint is the selected remote. */
static void
send_text(const char *text)
{
	struct ice_selected	sel;

	if (agent == NULL || ice_agent_selected(agent, &sel) == -1) {
		printf("error not connected\n");
		return;
	}
	if (sendto(wg, text, strlen(text), 0,
	    (struct sockaddr *)&sel.remote.addr,
	    sizeof(struct sockaddr_in)) == -1)
		printf("error sendto: %s\n", strerror(errno));
}

static void
wg_read(int fd, short event, void *arg)
{
	struct sockaddr_storage	 from;
	socklen_t		 fl = sizeof(from);
	uint8_t			 buf[2048];
	char			 a[64];
	ssize_t			 n;

	(void)event;
	(void)arg;
	if ((n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
	    (struct sockaddr *)&from, &fl)) == -1)
		return;
	if (ice_stun_is_stun(buf, n))
		return;
	buf[n] = '\0';
	printf("recv %s %s\n", (char *)buf, ice_addr_str(&from, a,
	    sizeof(a)));
}

static void
on_candidate(void *arg, const struct ice_cand *c)
{
	char	s[ICE_CAND_STR_MAX];

	(void)arg;
	if (ice_cand_print(c, s, sizeof(s)) == -1)
		errx(1, "candidate too long");
	printf("cand %s\n", s);
}

static void
on_state(void *arg, enum ice_agent_state st)
{
	struct ice_selected	sel;
	char			l[64], r[64];

	(void)arg;
	if (st == ICE_AGENT_FAILED) {
		printf("failed %lld\n", (long long)(now_ms() - started));
		return;
	}
	if (st != ICE_AGENT_CONNECTED || ice_agent_selected(agent, &sel) == -1)
		return;
	printf("connected %lld %s %s %s %s %lld\n",
	    (long long)(now_ms() - started), ice_cand_type_name(sel.local.type),
	    ice_addr_str(&sel.local.addr, l, sizeof(l)),
	    ice_cand_type_name(sel.remote.type),
	    ice_addr_str(&sel.remote.addr, r, sizeof(r)),
	    (long long)(sel.rtt_ns / 1000));
}

static void
on_data(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	printf("data %.*s\n", (int)len, (const char *)buf);
}
