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
 * Drives the WireGuard layer (netbirdd/wg*.c, netlink.c) for
 * wg_test.sh: one command per line on stdin, answers on stdout, each
 * answer ending with "done 0" (success) or "done 1".  Logs go to stderr.
 *
 *	open IFNAME auto|kernel|userspace PORT MTU PRIVKEY [PROGRAM]
 *	port | backend | pid
 *	addr PREFIX | clearaddr 4|6 | mtu N
 *	peer PUBKEY KEEPALIVE ENDPOINT|- replace|add ALLOWED,...|- [PSK]
 *	peers COUNT ALLOWED-PER-PEER	(generated peers; elapsed_ms N)
 *	remove PUBKEY
 *	endpoint PUBKEY ENDPOINT|- ALLOWED,...|-	(- removes the endpoint;
 *			 the allowed IPs are those the peer gets back)
 *	route add|del PREFIX
 *	stats		(elapsed_ms N, then lines:
 *			 stat PUBKEY HANDSHAKE RX TX ENDPOINT|-)
 *	close | quit
 * Keys are base64, as wg(8) prints them.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <sodium.h>

#include "log.h"
#include "netbirdd.h"
#include "wg.h"

#define MAXARGS		8
#define MAXALLOWED	64

static struct wg_iface	*wg;

static int	key_parse(const char *, uint8_t *);
static int	cmd_open(char **, int);
static int	cmd_peer(char **, int);
static int	cmd_peers(char **, int);
static int	cmd_endpoint(char **, int);
static int	allowed_parse(char *, struct wg_prefix *, size_t *);
static int	cmd_stats(void);
static int	cmd(char **, int);

static int
key_parse(const char *s, uint8_t *key)
{
	size_t	len;

	if (sodium_base642bin(key, WG_KEY_LEN, s, strlen(s), NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || len != WG_KEY_LEN)
		return -1;
	return 0;
}

static int
cmd_open(char **av, int ac)
{
	struct nbd_config	conf;
	uint8_t			priv[WG_KEY_LEN];
	int			ret;

	if (ac < 6 || wg != NULL)
		return -1;
	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.ifname, av[1], sizeof(conf.ifname));
	if (strcmp(av[2], "auto") == 0)
		conf.wg_backend = WG_BACKEND_AUTO;
	else if (strcmp(av[2], "kernel") == 0)
		conf.wg_backend = WG_BACKEND_KERNEL;
	else if (strcmp(av[2], "userspace") == 0)
		conf.wg_backend = WG_BACKEND_USERSPACE;
	else
		return -1;
	conf.wg_port = atoi(av[3]);
	conf.mtu = atoi(av[4]);
	if (key_parse(av[5], priv) == -1)
		return -1;
	if (ac > 6)
		strlcpy(conf.wg_userspace, av[6], sizeof(conf.wg_userspace));
	ret = wg_open(&conf, priv, &wg);
	sodium_memzero(priv, sizeof(priv));
	return ret;
}

/* "a,b,c" into allowed (MAXALLOWED of them), or "-": none. */
static int
allowed_parse(char *s, struct wg_prefix *allowed, size_t *n)
{
	char	*tok;

	*n = 0;
	if (strcmp(s, "-") == 0)
		return 0;
	while ((tok = strsep(&s, ",")) != NULL) {
		if (*n == MAXALLOWED || wg_prefix_pton(tok, &allowed[*n]) == -1)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
cmd_peer(char **av, int ac)
{
	struct wg_peer		p;
	struct wg_prefix	allowed[MAXALLOWED];

	if (ac < 6)
		return -1;
	memset(&p, 0, sizeof(p));
	if (key_parse(av[1], p.pubkey) == -1)
		return -1;
	p.keepalive = atoi(av[2]);
	if (strcmp(av[3], "-") != 0 &&
	    wg_endpoint_pton(av[3], &p.endpoint) == -1)
		return -1;
	if (strcmp(av[4], "replace") == 0)
		p.flags |= WG_PEER_REPLACE_ALLOWED;
	if (allowed_parse(av[5], allowed, &p.nallowed) == -1)
		return -1;
	p.allowed = p.nallowed > 0 ? allowed : NULL;
	if (ac > 6) {
		if (key_parse(av[6], p.psk) == -1)
			return -1;
		p.flags |= WG_PEER_PRESHARED;
	}
	return wg_peer_set(wg, &p);
}

static int
cmd_endpoint(char **av, int ac)
{
	struct wg_prefix	allowed[MAXALLOWED];
	union wg_sockaddr	ep;
	uint8_t			key[WG_KEY_LEN];
	size_t			n;

	if (ac != 4 || key_parse(av[1], key) == -1 ||
	    allowed_parse(av[3], allowed, &n) == -1)
		return -1;
	memset(&ep, 0, sizeof(ep));
	if (strcmp(av[2], "-") != 0 && wg_endpoint_pton(av[2], &ep) == -1)
		return -1;
	return wg_peer_endpoint(wg, key, &ep, allowed, n, 0);
}

/* COUNT peers with generated keys and allowed IPs in 10.128.0.0/9. */
static int
cmd_peers(char **av, int ac)
{
	struct wg_peer		*peers;
	struct wg_prefix	*allowed;
	struct timespec		 t0, t1;
	size_t			 n, per, i, j;
	uint32_t		 ip = 0x0a800000;
	int			 ret;

	if (ac < 3)
		return -1;
	n = strtoul(av[1], NULL, 10);
	per = strtoul(av[2], NULL, 10);
	if (n == 0 || per == 0 || per > WG_ALLOWED_MAX)
		return -1;
	peers = calloc(n, sizeof(*peers));
	allowed = calloc(n * per, sizeof(*allowed));
	if (peers == NULL || allowed == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		randombytes_buf(peers[i].pubkey, WG_KEY_LEN);
		peers[i].keepalive = WG_KEEPALIVE;
		peers[i].allowed = &allowed[i * per];
		peers[i].nallowed = per;
		for (j = 0; j < per; j++) {
			allowed[i * per + j].af = AF_INET;
			allowed[i * per + j].plen = 32;
			allowed[i * per + j].addr.v4.s_addr = htonl(ip++);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = wg_peers_set(wg, peers, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("elapsed_ms %lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000);
	free(peers);
	free(allowed);
	return ret;
}

static int
cmd_stats(void)
{
	struct wg_peer_stats	*st;
	struct timespec		 t0, t1;
	size_t			 n, i;
	char			 b64[WG_KEY_B64LEN], ep[WG_ENDPOINT_STRLEN];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (wg_peer_stats(wg, &st, &n) == -1)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("elapsed_ms %lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000);
	for (i = 0; i < n; i++) {
		wg_key_log(st[i].pubkey, b64, sizeof(b64));
		if (wg_endpoint_ntop(&st[i].endpoint, ep, sizeof(ep)) == -1)
			strlcpy(ep, "-", sizeof(ep));
		printf("stat %s %lld %llu %llu %s\n", b64,
		    (long long)st[i].last_handshake,
		    (unsigned long long)st[i].rx_bytes,
		    (unsigned long long)st[i].tx_bytes, ep);
	}
	free(st);
	return 0;
}

static int
cmd(char **av, int ac)
{
	struct wg_prefix	p;
	uint8_t			key[WG_KEY_LEN];

	if (strcmp(av[0], "open") == 0)
		return cmd_open(av, ac);
	if (wg == NULL)
		return -1;
	if (strcmp(av[0], "port") == 0)
		return printf("port %u\n", wg_port(wg)) < 0 ? -1 : 0;
	if (strcmp(av[0], "backend") == 0)
		return printf("backend %s\n", wg_backend_name(wg)) < 0 ? -1 : 0;
	if (strcmp(av[0], "pid") == 0)
		return printf("pid %d\n", (int)wg->pid) < 0 ? -1 : 0;
	if (strcmp(av[0], "addr") == 0 && ac == 2)
		return wg_prefix_pton(av[1], &p) == -1 ? -1 :
		    wg_set_address(wg, &p);
	if (strcmp(av[0], "clearaddr") == 0 && ac == 2)
		return wg_clear_address(wg,
		    strcmp(av[1], "6") == 0 ? AF_INET6 : AF_INET);
	if (strcmp(av[0], "mtu") == 0 && ac == 2)
		return wg_set_mtu(wg, strtoul(av[1], NULL, 10));
	if (strcmp(av[0], "peer") == 0)
		return cmd_peer(av, ac);
	if (strcmp(av[0], "peers") == 0)
		return cmd_peers(av, ac);
	if (strcmp(av[0], "endpoint") == 0)
		return cmd_endpoint(av, ac);
	if (strcmp(av[0], "remove") == 0 && ac == 2)
		return key_parse(av[1], key) == -1 ? -1 :
		    wg_peer_remove(wg, key);
	if (strcmp(av[0], "route") == 0 && ac == 3) {
		if (wg_prefix_pton(av[2], &p) == -1)
			return -1;
		return strcmp(av[1], "add") == 0 ? wg_route_add(wg, &p) :
		    wg_route_del(wg, &p);
	}
	if (strcmp(av[0], "stats") == 0)
		return cmd_stats();
	if (strcmp(av[0], "close") == 0) {
		wg_close(wg);
		wg = NULL;
		return 0;
	}
	return -1;
}

int
main(void)
{
	char	 line[4096], *av[MAXARGS], *s, *tok;
	int	 ac;

	log_init(1, LOG_DAEMON);
	log_procinit("wg_drive");
	if (sodium_init() == -1)
		fatalx("sodium_init");
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		ac = 0;
		for (s = line; (tok = strsep(&s, " ")) != NULL && ac < MAXARGS;)
			if (*tok != '\0')
				av[ac++] = tok;
		if (ac == 0)
			continue;
		if (strcmp(av[0], "quit") == 0)
			break;
		printf("done %d\n", cmd(av, ac) == 0 ? 0 : 1);
	}
	wg_close(wg);
	return 0;
}
