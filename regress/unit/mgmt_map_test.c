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
 * Unit tests for netbirdd/mgmt_map.c (LoginResponse and SyncResponse to
 * imsg payloads: merge rules, serial rule, hostile peers) and for the
 * os-release reader of netbirdd/mgmt_meta.c.  Messages go through
 * protobuf-c's pack and unpack, as they arrive from the network.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "mgmt.h"
#include "logcap.h"

#define PEER_A	"Xr5VAnJmOmx6R/RhWlHvprcr0EVKe+0rwXu9Uj7m5GE="
#define PEER_B	"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="

/* What mgmt_map.c sent, as the parent would receive it. */
struct rec {
	size_t				 nconfig;
	struct nbd_netbird_config	 config;
	size_t				 nbegin;
	struct nbd_netmap_begin		 begin;
	size_t				 npeer;
	struct nbd_netmap_peer		*peers;
	size_t				 nend;
	struct nbd_netmap_end		 end;
	int				 order_ok;
};

static int		 failed;
static uint8_t		 ourkey[KEY_LEN];
static char		 ourkey64[KEY_B64_LEN + 1];

static void	 check(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 rec_emit(void *, uint32_t, const void *, size_t);
static void	 rec_reset(struct rec *);
static Management__SyncResponse *roundtrip_sync(Management__SyncResponse *);
static Management__LoginResponse *roundtrip_login(
		    Management__LoginResponse *);
static int	 apply(struct mgmt_sync *, Management__SyncResponse *,
		    struct rec *);
static void	 host(Management__HostConfig *, char *, int);
static void	 peer(Management__RemotePeerConfig *, char *, char **, size_t,
		    char *);
static void	 sync_map(struct mgmt_sync *, Management__SyncResponse *,
		    Management__NetworkMap *, Management__PeerConfig *);
static int	 prefix_is(const struct nbd_prefix *, int, const char *, int);
static void	 test_prefix(void);
static void	 test_login(void);
static void	 test_config(void);
static void	 test_map(void);
static void	 test_serial(void);
static void	 test_hostile_peers(void);
static void	 test_limits(void);
static void	 test_missing(void);
static int	 refusals_logged(struct mgmt_sync *, Management__SyncResponse *,
		    struct rec *);
static void	 test_refused_log(void);
static void	 test_bytes(void);
static void	 test_osrelease(void);

static void
check(int ok, const char *fmt, ...)
{
	va_list	ap;

	printf("%s - mgmt_map: ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failed = 1;
}

/* Records, and checks that the map comes as BEGIN, PEER..., END. */
static void
rec_emit(void *arg, uint32_t type, const void *data, size_t len)
{
	struct rec	*r = arg;

	switch (type) {
	case IMSG_MGMT_CONFIG:
		if (len != sizeof(r->config))
			abort();
		memcpy(&r->config, data, len);
		r->nconfig++;
		break;
	case IMSG_MGMT_NETMAP_BEGIN:
		if (len != sizeof(r->begin))
			abort();
		if (r->nbegin != r->nend)
			r->order_ok = 0;
		memcpy(&r->begin, data, len);
		r->nbegin++;
		break;
	case IMSG_MGMT_NETMAP_PEER:
		if (len != sizeof(*r->peers))
			abort();
		if (r->nbegin != r->nend + 1)
			r->order_ok = 0;
		if ((r->peers = reallocarray(r->peers, r->npeer + 1,
		    sizeof(*r->peers))) == NULL)
			abort();
		memcpy(&r->peers[r->npeer++], data, len);
		break;
	case IMSG_MGMT_NETMAP_END:
		if (len != sizeof(r->end))
			abort();
		if (r->nbegin != r->nend + 1)
			r->order_ok = 0;
		memcpy(&r->end, data, len);
		r->nend++;
		break;
	default:
		abort();
	}
}

static void
rec_reset(struct rec *r)
{
	free(r->peers);
	memset(r, 0, sizeof(*r));
	r->order_ok = 1;
}

/* Through the wire format, as a message from management arrives. */
static Management__SyncResponse *
roundtrip_sync(Management__SyncResponse *m)
{
	Management__SyncResponse	*out;
	uint8_t				*buf;
	size_t				 len;

	len = management__sync_response__get_packed_size(m);
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	management__sync_response__pack(m, buf);
	out = management__sync_response__unpack(NULL, len, buf);
	free(buf);
	if (out == NULL)
		abort();
	return out;
}

static Management__LoginResponse *
roundtrip_login(Management__LoginResponse *m)
{
	Management__LoginResponse	*out;
	uint8_t				*buf;
	size_t				 len;

	len = management__login_response__get_packed_size(m);
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	management__login_response__pack(m, buf);
	out = management__login_response__unpack(NULL, len, buf);
	free(buf);
	if (out == NULL)
		abort();
	return out;
}

static int
apply(struct mgmt_sync *st, Management__SyncResponse *m, struct rec *r)
{
	Management__SyncResponse	*u;
	int				 rv;

	rec_reset(r);
	u = roundtrip_sync(m);
	rv = mgmt_sync_apply(st, u, rec_emit, r);
	management__sync_response__free_unpacked(u, NULL);
	return rv;
}

static void
host(Management__HostConfig *h, char *uri, int proto)
{
	management__host_config__init(h);
	h->uri = uri;
	h->protocol = proto;
}

static void
peer(Management__RemotePeerConfig *p, char *key, char **ips, size_t nips,
    char *fqdn)
{
	management__remote_peer_config__init(p);
	p->wgpubkey = key;
	p->allowedips = ips;
	p->n_allowedips = nips;
	p->fqdn = fqdn;
}

/*
 * A fresh sync state and a Sync carrying a map that gives us
 * 100.64.0.7/16; the caller adds the rest.
 */
static void
sync_map(struct mgmt_sync *st, Management__SyncResponse *sr,
    Management__NetworkMap *nm, Management__PeerConfig *pc)
{
	mgmt_sync_init(st, ourkey);
	management__sync_response__init(sr);
	management__network_map__init(nm);
	management__peer_config__init(pc);
	pc->address = "100.64.0.7/16";
	nm->peerconfig = pc;
	sr->networkmap = nm;
}

static int
prefix_is(const struct nbd_prefix *p, int af, const char *addr, int plen)
{
	uint8_t	a[16] = { 0 };

	if (inet_pton(af, addr, a) != 1)
		abort();
	return p->af == af && p->plen == plen &&
	    memcmp(p->addr, a, af == AF_INET ? 4 : 16) == 0 &&
	    (af == AF_INET6 || memcmp(p->addr + 4, "\0\0\0\0\0\0\0\0\0\0\0\0",
	    12) == 0);
}

static void
test_prefix(void)
{
	static const char *const bad[] = {
		"", "100.64.0.5", "100.64.0.5/", "100.64.0.5/33",
		"100.64.0.5/032", "100.64.0.5/+8", "100.64.0.5/ 8",
		"100.64.0.5/8 ", "100.64.0.5/-1", "100.64.0.5/3a",
		"100.64.0.5/1000", "01.64.0.5/32", "100.64.0.256/32",
		"100.64.0/24", "fd00::1/129", "fe80::1%eth0/64", "/32",
		"100.64.0.5//32", "100.64.0.5/32/32", "host.example/32",
		"::ffff:1.2.3.4:5/128",
		"aaaa:bbbb:cccc:dddd:eeee:ffff:1111:2222:3333/64",
		"100.64.0.5/00", "1.2.3.4\n/32",
	};
	struct nbd_prefix	p;
	char			long_s[600];
	size_t			i;
	int			all = 1;

	check(mgmt_prefix_parse("100.64.0.5/16", &p) == 0 &&
	    prefix_is(&p, AF_INET, "100.64.0.5", 16), "v4 address/16");
	check(mgmt_prefix_parse("0.0.0.0/0", &p) == 0 &&
	    prefix_is(&p, AF_INET, "0.0.0.0", 0), "v4 /0");
	check(mgmt_prefix_parse("fd00:1234::7/128", &p) == 0 &&
	    prefix_is(&p, AF_INET6, "fd00:1234::7", 128), "v6 /128");
	check(mgmt_prefix_parse("::/0", &p) == 0 &&
	    prefix_is(&p, AF_INET6, "::", 0), "v6 /0");
	for (i = 0; i < nitems(bad); i++) {
		memset(&p, 0xa5, sizeof(p));
		if (mgmt_prefix_parse(bad[i], &p) != -1 || p.af != 0) {
			printf("# accepted \"%s\"\n", bad[i]);
			all = 0;
		}
	}
	check(all, "%zu malformed prefixes refused, output cleared",
	    nitems(bad));
	memset(long_s, '1', sizeof(long_s) - 1);
	long_s[sizeof(long_s) - 1] = '\0';
	check(mgmt_prefix_parse(long_s, &p) == -1, "overlong prefix refused");
	check(mgmt_prefix_parse(NULL, &p) == -1, "NULL prefix refused");
}

static void
test_login(void)
{
	Management__LoginResponse	 lr, *u;
	Management__PeerConfig		 pc;
	Management__NetbirdConfig	 nc;
	Management__HostConfig		 sig, stun, *stuns[1] = { &stun };
	Management__RelayConfig		 relay;
	Management__MetricsConfig	 met;
	char				*urls[] = {
		"rels://relay.example:443"
	};
	struct mgmt_sync		 st;
	struct rec			 r = { 0 };
	int				 rv;

	mgmt_sync_init(&st, ourkey);
	management__login_response__init(&lr);
	management__peer_config__init(&pc);
	management__netbird_config__init(&nc);
	management__relay_config__init(&relay);
	management__metrics_config__init(&met);
	pc.address = "100.64.0.7/16";
	pc.fqdn = "me.netbird.selfhosted";
	pc.mtu = 1400;
	host(&sig, "signal.example:443",
	    MANAGEMENT__HOST_CONFIG__PROTOCOL__HTTPS);
	host(&stun, "stun:stun.example:3478",
	    MANAGEMENT__HOST_CONFIG__PROTOCOL__UDP);
	relay.urls = urls;
	relay.n_urls = 1;
	relay.tokenpayload = "1700000000";
	relay.tokensignature = "c2lnbmF0dXJl";
	met.enabled = 1;
	nc.signal = &sig;
	nc.stuns = stuns;
	nc.n_stuns = 1;
	nc.relay = &relay;
	nc.metrics = &met;
	lr.peerconfig = &pc;
	lr.netbirdconfig = &nc;

	rec_reset(&r);
	u = roundtrip_login(&lr);
	rv = mgmt_login_apply(&st, u, rec_emit, &r);
	management__login_response__free_unpacked(u, NULL);
	check(rv == MGMT_APPLY_OK && r.nconfig == 1 && r.nbegin == 0,
	    "login: one IMSG_MGMT_CONFIG, no map");
	check(strcmp(r.config.signal_uri, "signal.example:443") == 0 &&
	    r.config.signal_tls == 1, "login: signal server with TLS");
	check(r.config.nrelay == 1 && strcmp(r.config.relay[0],
	    "rels://relay.example:443") == 0 &&
	    strcmp(r.config.relay_token_payload, "1700000000") == 0 &&
	    strcmp(r.config.relay_token_signature, "c2lnbmF0dXJl") == 0,
	    "login: relay URLs and token");
	check(r.config.nstun == 0, "login: STUN waits for Sync, as in NetBird");
	check(r.config.metrics_enabled == 1, "login: metrics switch");
	check(st.self.have && prefix_is(&st.self.address, AF_INET,
	    "100.64.0.7", 16) && strcmp(st.self.fqdn,
	    "me.netbird.selfhosted") == 0 && st.self.mtu == 1400,
	    "login: our address, FQDN and MTU kept");

	lr.peerconfig = NULL;
	rec_reset(&r);
	u = roundtrip_login(&lr);
	rv = mgmt_login_apply(&st, u, rec_emit, &r);
	management__login_response__free_unpacked(u, NULL);
	check(rv == MGMT_APPLY_REFUSED && r.nconfig == 0,
	    "login without a peer configuration: refused, nothing sent");

	lr.peerconfig = &pc;
	pc.address = "100.64.0.7";
	rec_reset(&r);
	u = roundtrip_login(&lr);
	rv = mgmt_login_apply(&st, u, rec_emit, &r);
	management__login_response__free_unpacked(u, NULL);
	check(rv == MGMT_APPLY_REFUSED && r.nconfig == 0 &&
	    prefix_is(&st.self.address, AF_INET, "100.64.0.7", 16),
	    "login with a bad address: refused, the old one stays");
	rec_reset(&r);
}

static void
test_config(void)
{
	Management__SyncResponse	 sr;
	Management__NetbirdConfig	 nc;
	Management__HostConfig		 h[12], *hp[12], th;
	Management__ProtectedHostConfig	 t, *tp[1] = { &t };
	Management__RelayConfig		 relay;
	struct mgmt_sync		 st;
	struct rec			 r = { 0 };
	char				 uris[12][32], longuri[400];
	char				*urls[] = {
		"rel://r1:80", "rels://r2:443"
	};
	size_t				 i;

	mgmt_sync_init(&st, ourkey);
	management__sync_response__init(&sr);
	management__netbird_config__init(&nc);
	management__relay_config__init(&relay);
	for (i = 0; i < 12; i++) {
		snprintf(uris[i], sizeof(uris[i]), "stun:s%zu.example:3478",
		    i);
		host(&h[i], uris[i], 0);
		hp[i] = &h[i];
	}
	management__protected_host_config__init(&t);
	host(&th, "turn:turn.example:3478?transport=tcp", 0);
	t.hostconfig = &th;
	t.user = "1700000000";
	t.password = "cGFzc3dvcmQ=";
	relay.urls = urls;
	relay.n_urls = 2;
	relay.tokenpayload = "1700000000";
	relay.tokensignature = "c2ln";
	nc.stuns = hp;
	nc.n_stuns = 2;
	nc.turns = tp;
	nc.n_turns = 1;
	nc.relay = &relay;
	sr.netbirdconfig = &nc;

	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.nconfig == 1 &&
	    r.nbegin == 0, "config-only update: IMSG_MGMT_CONFIG, no map");
	check(r.config.nstun == 2 && strcmp(r.config.stun[1],
	    "stun:s1.example:3478") == 0 && r.config.nturn == 1 &&
	    strcmp(r.config.turn[0].uri,
	    "turn:turn.example:3478?transport=tcp") == 0 &&
	    strcmp(r.config.turn[0].user, "1700000000") == 0 &&
	    strcmp(r.config.turn[0].password, "cGFzc3dvcmQ=") == 0 &&
	    r.config.nrelay == 2 && r.config.metrics_enabled == -1,
	    "STUN, TURN with credentials, relays");

	/* Empty lists keep what we have; the relay comes again. */
	nc.n_stuns = 0;
	nc.n_turns = 0;
	relay.n_urls = 1;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.config.nstun == 2 &&
	    r.config.nturn == 1 && r.config.nrelay == 1,
	    "empty STUN and TURN lists keep the old ones");

	nc.relay = NULL;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.config.nrelay == 0 &&
	    r.config.relay_token_payload[0] == '\0' && r.config.nstun == 2,
	    "NetbirdConfig without relay turns the relay off");

	sr.netbirdconfig = NULL;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.nconfig == 0,
	    "no NetbirdConfig: nothing sent, nothing changes");
	check(st.config.nstun == 2 && st.config.nturn == 1,
	    "and the state still has the servers");

	sr.netbirdconfig = &nc;
	nc.n_stuns = 12;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK &&
	    r.config.nstun == NBD_SERVERS_MAX &&
	    strcmp(r.config.stun[7], "stun:s7.example:3478") == 0,
	    "12 STUN servers: the first %d kept", NBD_SERVERS_MAX);

	memset(longuri, 'a', sizeof(longuri) - 1);
	longuri[sizeof(longuri) - 1] = '\0';
	memcpy(longuri, "stun:", 5);
	h[0].uri = longuri;
	h[1].uri = "stun:bad\001host:1";
	h[2].uri = "stun:with space:1";
	nc.n_stuns = 4;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.config.nstun == 1 &&
	    strcmp(r.config.stun[0], "stun:s3.example:3478") == 0,
	    "overlong, control-character and spaced URIs dropped");

	t.password = longuri;
	nc.n_stuns = 0;
	nc.n_turns = 1;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.config.nturn == 0,
	    "a TURN server whose password does not fit is dropped");
	t.password = "pw";
	t.hostconfig = NULL;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.config.nturn == 0,
	    "a TURN server without host is dropped");

	nc.n_turns = 0;
	nc.relay = &relay;
	relay.tokensignature = "c2ln\nZ2Fy";
	relay.n_urls = 1;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.config.nrelay == 1 &&
	    r.config.relay_token_payload[0] == '\0' &&
	    r.config.relay_token_signature[0] == '\0',
	    "a relay token with a newline is dropped, URLs kept");
	{
		char	sig[1100];

		memset(sig, 'A', sizeof(sig) - 1);
		sig[1023] = '\0';
		relay.tokensignature = sig;
		check(apply(&st, &sr, &r) == MGMT_APPLY_OK &&
		    strlen(r.config.relay_token_signature) == 1023,
		    "a 1023-byte relay token fits");
		sig[1023] = 'A';
		sig[1024] = '\0';
		check(apply(&st, &sr, &r) == MGMT_APPLY_OK &&
		    r.config.relay_token_signature[0] == '\0',
		    "a 1024-byte relay token does not");
	}
	rec_reset(&r);
}

static void
test_map(void)
{
	Management__SyncResponse	 sr;
	Management__NetworkMap		 nm;
	Management__PeerConfig		 pc;
	Management__RemotePeerConfig	 p[3], *pp[3] = { &p[0], &p[1], &p[2] };
	char				*ipa[] = {
		"100.64.0.9/32", "fd00::9/128"
	};
	char				*ipb[] = { "100.64.0.10/32" };
	char				*ipme[] = { "100.64.0.7/32" };
	struct mgmt_sync		 st;
	struct rec			 r = { 0 };
	uint8_t				 ka[KEY_LEN];

	sync_map(&st, &sr, &nm, &pc);
	pc.fqdn = "me.netbird.selfhosted";
	peer(&p[0], PEER_A, ipa, 2, "a.netbird.selfhosted");
	peer(&p[1], ourkey64, ipme, 1, "me.netbird.selfhosted");
	peer(&p[2], PEER_B, ipb, 1, "b.netbird.selfhosted");
	nm.serial = 5;
	nm.remotepeers = pp;
	nm.n_remotepeers = 3;

	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.nbegin == 1 &&
	    r.nend == 1 && r.npeer == 2 && r.order_ok,
	    "map: BEGIN, two PEERs, END; our own key filtered out");
	check(r.begin.serial == 5 && r.begin.npeers == 2 &&
	    r.end.serial == 5 && r.end.npeers == 2 &&
	    prefix_is(&r.begin.address, AF_INET, "100.64.0.7", 16) &&
	    strcmp(r.begin.fqdn, "me.netbird.selfhosted") == 0 &&
	    r.begin.mtu == 0, "map: serial, counts, our address and FQDN");
	key_from_base64(PEER_A, ka);
	check(r.npeer == 2 && memcmp(r.peers[0].key.key, ka, KEY_LEN) == 0 &&
	    r.peers[0].nallowed == 2 &&
	    prefix_is(&r.peers[0].allowed[0], AF_INET, "100.64.0.9", 32) &&
	    prefix_is(&r.peers[0].allowed[1], AF_INET6, "fd00::9", 128) &&
	    strcmp(r.peers[0].fqdn, "a.netbird.selfhosted") == 0,
	    "map: peer key decoded, v4 and v6 allowed IPs, FQDN");
	check(r.npeer == 2 && r.peers[1].nallowed == 1 &&
	    strcmp(r.peers[1].fqdn, "b.netbird.selfhosted") == 0,
	    "map: peers in the order management sent them");

	/* remotePeersIsEmpty: a map with no peers. */
	nm.n_remotepeers = 0;
	nm.remotepeers = NULL;
	nm.remotepeersisempty = 1;
	nm.serial = 6;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.nbegin == 1 &&
	    r.npeer == 0 && r.begin.npeers == 0 && r.end.npeers == 0,
	    "remotePeersIsEmpty: a map with 0 peers");

	/* Only ourselves: 0 peers too. */
	nm.remotepeers = &pp[1];
	nm.n_remotepeers = 1;
	nm.remotepeersisempty = 0;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.npeer == 0 &&
	    r.begin.npeers == 0, "a map of only ourselves: 0 peers");

	/* Repeated key: the first one counts, as in NetBird. */
	peer(&p[2], PEER_A, ipb, 1, "dup.netbird.selfhosted");
	nm.remotepeers = pp;
	nm.n_remotepeers = 3;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.npeer == 1 &&
	    r.begin.npeers == 1 && strcmp(r.peers[0].fqdn,
	    "a.netbird.selfhosted") == 0 && r.peers[0].nallowed == 2,
	    "a repeated key: the first entry kept, the repeat dropped");
	peer(&p[2], PEER_B, ipb, 1, "b.netbird.selfhosted");

	/* MTU from management, in range or not at all. */
	pc.mtu = 1420;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.begin.mtu == 1420,
	    "MTU 1420 passed on");
	pc.mtu = 100000;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.begin.mtu == 0,
	    "MTU 100000 dropped");
	pc.mtu = -5;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.begin.mtu == 0,
	    "MTU -5 dropped");
	pc.mtu = 0;

	/* Config first, then the map. */
	{
		Management__NetbirdConfig	nc;

		management__netbird_config__init(&nc);
		sr.netbirdconfig = &nc;
		check(apply(&st, &sr, &r) == MGMT_APPLY_OK &&
		    r.nconfig == 1 && r.nbegin == 1,
		    "config and map in one update: both sent");
		sr.netbirdconfig = NULL;
	}

	/* A changed address comes in the next BEGIN. */
	pc.address = "100.64.3.3/16";
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK &&
	    prefix_is(&r.begin.address, AF_INET, "100.64.3.3", 16),
	    "a changed own address is in the next map");

	/* Older servers: peerConfig only at the top. */
	nm.peerconfig = NULL;
	sr.peerconfig = &pc;
	pc.address = "100.64.4.4/16";
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK &&
	    prefix_is(&r.begin.address, AF_INET, "100.64.4.4", 16),
	    "top-level peerConfig used when the map has none");
	sr.peerconfig = NULL;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK &&
	    prefix_is(&r.begin.address, AF_INET, "100.64.4.4", 16),
	    "no peerConfig at all: the last address");
	rec_reset(&r);
}

static void
test_serial(void)
{
	Management__SyncResponse	 sr;
	Management__NetworkMap		 nm;
	Management__PeerConfig		 pc;
	struct mgmt_sync		 st;
	struct rec			 r = { 0 };

	sync_map(&st, &sr, &nm, &pc);

	nm.serial = 0;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.nbegin == 1,
	    "serial 0 as the first map: applied");
	nm.serial = 10;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.nbegin == 1,
	    "serial 10: applied");
	nm.serial = 10;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.nbegin == 1,
	    "serial 10 again: applied again (only older is ignored)");
	nm.serial = 9;
	check(apply(&st, &sr, &r) == MGMT_APPLY_STALE && r.nbegin == 0 &&
	    r.npeer == 0 && st.serial == 10,
	    "serial 9 after 10: ignored, nothing sent");
	nm.serial = UINT64_MAX;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK &&
	    r.begin.serial == UINT64_MAX, "serial 2^64-1: applied");
	nm.serial = 0;
	check(apply(&st, &sr, &r) == MGMT_APPLY_STALE,
	    "serial 0 after 2^64-1: ignored");
	{
		Management__NetbirdConfig	nc;

		management__netbird_config__init(&nc);
		sr.netbirdconfig = &nc;
		check(apply(&st, &sr, &r) == MGMT_APPLY_STALE &&
		    r.nconfig == 1 && r.nbegin == 0,
		    "a stale map still brings its NetbirdConfig");
		sr.netbirdconfig = NULL;
	}
	{
		Management__LoginResponse	lr;

		management__login_response__init(&lr);
		lr.peerconfig = &pc;
		rec_reset(&r);
		mgmt_login_apply(&st, &lr, rec_emit, &r);
		nm.serial = 2;
		check(apply(&st, &sr, &r) == MGMT_APPLY_STALE && r.nbegin == 0,
		    "a new login keeps the serial rule, as the parent does");
	}
	rec_reset(&r);
}

static void
test_hostile_peers(void)
{
	static char *const badkeys[] = {
		"", "short", PEER_A "=",
		"Xr5VAnJmOmx6R/RhWlHvprcr0EVKe+0rwXu9Uj7m5G==",
		"Xr5VAnJmOmx6R/RhWlHvprcr0EVKe+0rwXu9Uj7m5G!=",
		"Xr5VAnJmOmx6R-RhWlHvprcr0EVKe+0rwXu9Uj7m5GE=",
		"Xr5VAnJmOmx6R/RhWlHvprcr0EVKe+0rwXu9Uj7m5GE ",
		"WHI1VkFuSm1PbXg2Ui9SaFdsSHZwcmNyMEVLZSswcnc=AAAA",
	};
	static char *const badips[] = {
		"100.64.0.9", "100.64.0.9/33", "300.64.0.9/32", "",
		"fd00::9/200", "100.64.0.9/32 ", "100.64.0.9/32,1.2.3.4/32",
	};
	Management__SyncResponse	 sr;
	Management__NetworkMap		 nm;
	Management__PeerConfig		 pc;
	Management__RemotePeerConfig	 p[2], *pp[2] = { &p[0], &p[1] };
	char				*ips[] = { "100.64.0.9/32" };
	char				*bad[1];
	char				 longname[400];
	struct mgmt_sync		 st;
	struct rec			 r = { 0 };
	size_t				 i;
	int				 all;

	sync_map(&st, &sr, &nm, &pc);
	nm.remotepeers = pp;
	nm.n_remotepeers = 2;
	peer(&p[0], PEER_B, ips, 1, "b.netbird.selfhosted");

	for (i = 0, all = 1; i < nitems(badkeys); i++) {
		nm.serial = 1;
		peer(&p[1], badkeys[i], ips, 1, "x");
		if (apply(&st, &sr, &r) != MGMT_APPLY_REFUSED ||
		    r.nbegin != 0 || r.npeer != 0) {
			printf("# accepted key \"%s\"\n", badkeys[i]);
			all = 0;
		}
	}
	check(all, "%zu bad peer keys: the whole update refused, nothing "
	    "sent", nitems(badkeys));
	check(!st.have_serial, "a refused map does not move the serial");

	for (i = 0, all = 1; i < nitems(badips); i++) {
		bad[0] = badips[i];
		peer(&p[1], PEER_A, bad, 1, "x");
		if (apply(&st, &sr, &r) != MGMT_APPLY_REFUSED ||
		    r.nbegin != 0) {
			printf("# accepted allowed IP \"%s\"\n", badips[i]);
			all = 0;
		}
	}
	check(all, "%zu bad allowed IPs: refused", nitems(badips));

	peer(&p[1], PEER_A, NULL, 0, "x");
	check(apply(&st, &sr, &r) == MGMT_APPLY_REFUSED && r.nbegin == 0,
	    "a peer without allowed IPs: refused");
	peer(&p[1], NULL, ips, 1, "x");
	check(apply(&st, &sr, &r) == MGMT_APPLY_REFUSED,
	    "a peer without a key: refused");

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	peer(&p[1], PEER_A, ips, 1, longname);
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.npeer == 2 &&
	    r.peers[1].fqdn[0] == '\0',
	    "an overlong peer FQDN: the peer kept, without a name");
	peer(&p[1], PEER_A, ips, 1, "evil\033[2J.example");
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.npeer == 2 &&
	    r.peers[1].fqdn[0] == '\0',
	    "a peer FQDN with an escape sequence: dropped");
	longname[CTL_NAME_LEN - 1] = '\0';
	peer(&p[1], PEER_A, ips, 1, longname);
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.npeer == 2 &&
	    strlen(r.peers[1].fqdn) == CTL_NAME_LEN - 1,
	    "a %d-byte FQDN fits", CTL_NAME_LEN - 1);
	pc.fqdn = longname;
	longname[CTL_NAME_LEN - 1] = 'n';
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.begin.fqdn[0] == '\0',
	    "our own overlong FQDN: dropped");
	pc.fqdn = "";

	pc.address = "not an address";
	check(apply(&st, &sr, &r) == MGMT_APPLY_REFUSED && r.nbegin == 0,
	    "our own address bad: refused");
	pc.address = "100.64.0.7/16";

	nm.remotepeers[1] = NULL;
	nm.n_remotepeers = 1;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.npeer == 1,
	    "the map is usable again after refusals");
	rec_reset(&r);
}

static void
test_limits(void)
{
	Management__SyncResponse	 sr;
	Management__NetworkMap		 nm;
	Management__PeerConfig		 pc;
	Management__RemotePeerConfig	*p, **pp;
	char				(*keys)[KEY_B64_LEN + 1];
	char				(*ipbuf)[24], *ips[NBD_ALLOWED_MAX + 1];
	char				**pips;
	uint8_t				 raw[KEY_LEN];
	struct mgmt_sync		 st;
	struct rec			 r = { 0 };
	size_t				 i, n = NBD_PEERS_MAX + 1;

	sync_map(&st, &sr, &nm, &pc);

	if ((p = calloc(n, sizeof(*p))) == NULL ||
	    (pp = calloc(n, sizeof(*pp))) == NULL ||
	    (keys = calloc(n, sizeof(*keys))) == NULL ||
	    (ipbuf = calloc(n, sizeof(*ipbuf))) == NULL ||
	    (pips = calloc(n, sizeof(*pips))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		memset(raw, 0, sizeof(raw));
		raw[0] = 0x42;
		raw[1] = i >> 8;
		raw[2] = i;
		key_to_base64(raw, keys[i], sizeof(keys[i]));
		snprintf(ipbuf[i], sizeof(ipbuf[i]), "100.65.%zu.%zu/32",
		    i / 250, i % 250);
		pips[i] = ipbuf[i];
		peer(&p[i], keys[i], &pips[i], 1, "");
		pp[i] = &p[i];
	}
	nm.remotepeers = pp;
	nm.n_remotepeers = NBD_PEERS_MAX;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK &&
	    r.npeer == NBD_PEERS_MAX && r.begin.npeers == NBD_PEERS_MAX &&
	    r.end.npeers == NBD_PEERS_MAX && r.order_ok,
	    "%d peers: all sent", NBD_PEERS_MAX);
	nm.n_remotepeers = n;
	check(apply(&st, &sr, &r) == MGMT_APPLY_REFUSED && r.nbegin == 0,
	    "%zu peers: refused", n);

	for (i = 0; i <= NBD_ALLOWED_MAX; i++)
		ips[i] = ipbuf[i];
	peer(&p[0], keys[0], ips, NBD_ALLOWED_MAX, "");
	nm.n_remotepeers = 1;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.npeer == 1 &&
	    r.peers[0].nallowed == NBD_ALLOWED_MAX &&
	    prefix_is(&r.peers[0].allowed[NBD_ALLOWED_MAX - 1], AF_INET,
	    "100.65.0.63", 32), "%d allowed IPs: all sent", NBD_ALLOWED_MAX);
	peer(&p[0], keys[0], ips, NBD_ALLOWED_MAX + 1, "");
	check(apply(&st, &sr, &r) == MGMT_APPLY_REFUSED && r.nbegin == 0,
	    "%d allowed IPs: refused", NBD_ALLOWED_MAX + 1);
	free(p);
	free(pp);
	free(keys);
	free(ipbuf);
	free(pips);
	rec_reset(&r);
}

/* Applies m; the lines saying a map was refused that it wrote. */
static int
refusals_logged(struct mgmt_sync *st, Management__SyncResponse *m,
    struct rec *r)
{
	logcap_start();
	(void)apply(st, m, r);
	return logcap_count("refused: ");
}

/* Each Sync repeats the map: a refusal is logged when it changes. */
static void
test_refused_log(void)
{
	Management__SyncResponse	 sr;
	Management__NetworkMap		 nm;
	Management__PeerConfig		 pc;
	struct mgmt_sync		 st;
	struct rec			 r = { 0 };

	sync_map(&st, &sr, &nm, &pc);
	nm.peerconfig = NULL;
	nm.serial = 3;
	check(refusals_logged(&st, &sr, &r) == 1, "a refused map: logged");
	check(refusals_logged(&st, &sr, &r) == 0 &&
	    refusals_logged(&st, &sr, &r) == 0,
	    "the same map refused again, on each Sync: not logged again");
	nm.serial = 4;
	check(refusals_logged(&st, &sr, &r) == 1,
	    "refused with a new serial: logged");
	pc.address = "not an address";
	nm.peerconfig = &pc;
	check(refusals_logged(&st, &sr, &r) == 1,
	    "the same serial refused for another reason: logged");
	pc.address = "100.64.0.7/16";
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK, "then a map applied");
	pc.address = "not an address";
	check(refusals_logged(&st, &sr, &r) == 1,
	    "the last refusal again after an applied map: logged");
	rec_reset(&r);
}

/* What a peer cannot do before it knows its own address. */
static void
test_missing(void)
{
	Management__SyncResponse	 sr;
	Management__NetworkMap		 nm;
	Management__NetworkMapEnvelope	 env;
	struct mgmt_sync		 st;
	struct rec			 r = { 0 };

	mgmt_sync_init(&st, ourkey);
	management__sync_response__init(&sr);
	management__network_map__init(&nm);
	sr.networkmap = &nm;
	nm.serial = 3;
	check(apply(&st, &sr, &r) == MGMT_APPLY_REFUSED && r.nbegin == 0,
	    "a map without our address, none known: refused");

	sr.networkmap = NULL;
	management__network_map_envelope__init(&env);
	sr.networkmapenvelope = &env;
	sr.version = 1;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.nbegin == 0 &&
	    r.nconfig == 0, "a component-format envelope: ignored");

	sr.networkmapenvelope = NULL;
	check(apply(&st, &sr, &r) == MGMT_APPLY_OK && r.nbegin == 0 &&
	    r.nconfig == 0, "an empty SyncResponse: nothing");
	rec_reset(&r);
}

/*
 * Bytes as a hostile server could send them: protobuf-c refuses
 * truncated input; what it accepts goes through mgmt_sync_apply().
 */
static void
test_bytes(void)
{
	/* NetworkMap{serial 7, remotePeers [{wgPubKey "x"}]} */
	static const uint8_t	badpeer[] = {
		0x2a, 0x07, 0x08, 0x07, 0x1a, 0x03, 0x0a, 0x01, 'x',
	};
	/* The same, cut inside the peer. */
	static const uint8_t	cut[] = { 0x2a, 0x07, 0x08, 0x07, 0x1a, 0x03 };
	Management__SyncResponse	*u;
	struct mgmt_sync		 st;
	struct rec			 r = { 0 };

	mgmt_sync_init(&st, ourkey);
	st.self.have = 1;
	st.self.address.af = AF_INET;
	u = management__sync_response__unpack(NULL, sizeof(badpeer), badpeer);
	rec_reset(&r);
	check(u != NULL && mgmt_sync_apply(&st, u, rec_emit, &r) ==
	    MGMT_APPLY_REFUSED && r.nbegin == 0,
	    "wire bytes with a one-letter key: refused");
	if (u != NULL)
		management__sync_response__free_unpacked(u, NULL);
	u = management__sync_response__unpack(NULL, sizeof(cut), cut);
	check(u == NULL, "truncated wire bytes do not unpack");
	rec_reset(&r);
}

static void
test_osrelease(void)
{
	static const char	text[] =
	    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
	    "NAME=\"Debian GNU/Linux\"\n"
	    "VERSION_ID='12'\n"
	    "ID=debian\r\n"
	    "ESC=\"a \\\"quoted\\\" \\\\ word\"\n"
	    "EMPTY=\n"
	    "ONEQ=\"\n"
	    "NOEOL=last";
	char			out[64], tiny[4];

	check(mgmt_osrelease_get(text, "NAME", out, sizeof(out)) == 0 &&
	    strcmp(out, "Debian GNU/Linux") == 0,
	    "os-release: NAME, not PRETTY_NAME, quotes removed");
	check(mgmt_osrelease_get(text, "VERSION_ID", out, sizeof(out)) == 0 &&
	    strcmp(out, "12") == 0, "os-release: single quotes");
	check(mgmt_osrelease_get(text, "ID", out, sizeof(out)) == 0 &&
	    strcmp(out, "debian") == 0, "os-release: CRLF line");
	check(mgmt_osrelease_get(text, "ESC", out, sizeof(out)) == 0 &&
	    strcmp(out, "a \"quoted\" \\ word") == 0,
	    "os-release: escapes in double quotes");
	check(mgmt_osrelease_get(text, "EMPTY", out, sizeof(out)) == 0 &&
	    out[0] == '\0', "os-release: empty value");
	check(mgmt_osrelease_get(text, "ONEQ", out, sizeof(out)) == 0 &&
	    strcmp(out, "\"") == 0, "os-release: a lone quote kept");
	check(mgmt_osrelease_get(text, "NOEOL", out, sizeof(out)) == 0 &&
	    strcmp(out, "last") == 0, "os-release: last line without newline");
	check(mgmt_osrelease_get(text, "VERSION", out, sizeof(out)) == -1,
	    "os-release: missing key");
	check(mgmt_osrelease_get(text, "NAME", tiny, sizeof(tiny)) == -1,
	    "os-release: a value that does not fit");
	check(mgmt_osrelease_get("", "NAME", out, sizeof(out)) == -1,
	    "os-release: empty file");
}

int
main(void)
{
	log_init(1, 0);
	log_setverbose(0);
	memset(ourkey, 0x5a, sizeof(ourkey));
	key_to_base64(ourkey, ourkey64, sizeof(ourkey64));
	test_prefix();
	test_login();
	test_config();
	test_map();
	test_serial();
	test_hostile_peers();
	test_limits();
	test_missing();
	test_refused_log();
	test_bytes();
	test_osrelease();
	return failed;
}
