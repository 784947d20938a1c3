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
 * The UAPI text protocol (netbirdd/wg_uapi.c): "set" requests as
 * wireguard-go expects them, and replies parsed as hostile input.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "wg.h"

static int	failed;

#define CHECK(cond, ...) do {					\
	if (cond)						\
		printf("ok - ");				\
	else {							\
		printf("not ok - ");				\
		failed = 1;					\
	}							\
	printf(__VA_ARGS__);					\
	printf("\n");						\
} while (0)

#define HEX0 "0000000000000000000000000000000000000000000000000000000000000000"
#define HEX1 "0101010101010101010101010101010101010101010101010101010101010101"
#define HEX2 "0202020202020202020202020202020202020202020202020202020202020202"
#define HEX3 "0303030303030303030303030303030303030303030303030303030303030303"
#define HEX4 "0404040404040404040404040404040404040404040404040404040404040404"

static const char *
parse(const char *s, struct wg_device_info *info, int *err)
{
	return wg_uapi_parse(s, strlen(s), info, err);
}

/* The reason a reply is refused, or "" if it is accepted. */
static const char *
refused(const char *s)
{
	struct wg_device_info	 info;
	const char		*why;
	int			 err;

	why = parse(s, &info, &err);
	if (why == NULL) {
		wg_info_free(&info);
		return "";
	}
	if (info.peers != NULL || info.npeers != 0)
		return "info not emptied";
	return why;
}

static void
test_request(void)
{
	struct wg_prefix	 a[2];
	struct wg_peer		 p[3];
	uint8_t			 priv[WG_KEY_LEN];
	char			*req;
	size_t			 len;
	const char		*want =
	    "set=1\n"
	    "private_key=" HEX1 "\n"
	    "listen_port=51820\n"
	    "public_key=" HEX2 "\n"
	    "preshared_key=" HEX4 "\n"
	    "endpoint=192.0.2.7:51821\n"
	    "persistent_keepalive_interval=25\n"
	    "replace_allowed_ips=true\n"
	    "allowed_ip=100.64.0.2/32\n"
	    "allowed_ip=fd00:1::/64\n"
	    "public_key=" HEX3 "\n"
	    "endpoint=[fe80::1%3]:7\n"
	    "persistent_keepalive_interval=0\n"
	    "public_key=" HEX4 "\n"
	    "remove=true\n"
	    "\n";

	memset(priv, 1, sizeof(priv));
	memset(p, 0, sizeof(p));
	memset(p[0].pubkey, 2, WG_KEY_LEN);
	memset(p[0].psk, 4, WG_KEY_LEN);
	p[0].flags = WG_PEER_REPLACE_ALLOWED | WG_PEER_PRESHARED;
	p[0].keepalive = 25;
	wg_endpoint_pton("192.0.2.7:51821", &p[0].endpoint);
	wg_prefix_pton("100.64.0.2/32", &a[0]);
	wg_prefix_pton("fd00:1::/64", &a[1]);
	p[0].allowed = a;
	p[0].nallowed = 2;
	memset(p[1].pubkey, 3, WG_KEY_LEN);
	wg_endpoint_pton("[fe80::1%3]:7", &p[1].endpoint);
	memset(p[2].pubkey, 4, WG_KEY_LEN);
	p[2].flags = WG_PEER_REMOVE | WG_PEER_REPLACE_ALLOWED;
	p[2].allowed = a;
	p[2].nallowed = 2;

	req = wg_uapi_set_request(priv, 51820, p, 3, &len);
	CHECK(req != NULL && len == strlen(want) && strcmp(req, want) == 0,
	    "set request: device, peer with everything, IPv6 scope, remove");
	if (req != NULL && strcmp(req, want) != 0)
		printf("# got:\n%s# want:\n%s", req, want);
	free(req);

	req = wg_uapi_set_request(NULL, -1, p + 2, 1, &len);
	CHECK(req != NULL && strcmp(req, "set=1\npublic_key=" HEX4
	    "\nremove=true\n\n") == 0,
	    "set request: no key, no port, one removal");
	free(req);

	req = wg_uapi_set_request(NULL, 0, NULL, 0, &len);
	CHECK(req != NULL && strcmp(req, "set=1\nlisten_port=0\n\n") == 0,
	    "set request: port 0 (any)");
	free(req);
}

/* protocol.md 5.4: set an endpoint; remove one = remove, add again. */
static void
test_endpoint(void)
{
	struct wg_prefix	 a[2];
	struct wg_peer		 p[2];
	union wg_sockaddr	 ep;
	uint8_t			 key[WG_KEY_LEN];
	char			*req;
	size_t			 len, n;

	memset(key, 2, sizeof(key));
	wg_prefix_pton("100.64.0.2/32", &a[0]);
	wg_prefix_pton("10.200.0.0/24", &a[1]);

	wg_endpoint_pton("198.51.100.7:40123", &ep);
	n = wg_endpoint_peers(key, &ep, a, 2, 0, p);
	req = n == 2 ? wg_uapi_set_request(NULL, -1, p, n, &len) : NULL;
	CHECK(req != NULL && strcmp(req, "set=1\npublic_key=" HEX2 "\n"
	    "persistent_keepalive_interval=0\n"
	    "public_key=" HEX2 "\n"
	    "endpoint=198.51.100.7:40123\n"
	    "persistent_keepalive_interval=25\n\n") == 0,
	    "endpoint set: keepalive off, then endpoint and keepalive 25 "
	    "(a handshake at once), allowed IPs untouched");
	free(req);

	wg_endpoint_pton("[2001:db8::9]:51820", &ep);
	n = wg_endpoint_peers(key, &ep, a, 2, 0, p);
	req = n == 2 ? wg_uapi_set_request(NULL, -1, p, n, &len) : NULL;
	CHECK(req != NULL && strstr(req, "endpoint=[2001:db8::9]:51820\n") !=
	    NULL, "endpoint set: IPv6");
	free(req);

	memset(&ep, 0, sizeof(ep));
	n = wg_endpoint_peers(key, &ep, a, 2, 0, p);
	req = n == 2 ? wg_uapi_set_request(NULL, -1, p, n, &len) : NULL;
	CHECK(req != NULL && strcmp(req, "set=1\n"
	    "public_key=" HEX2 "\nremove=true\n"
	    "public_key=" HEX2 "\npersistent_keepalive_interval=0\n"
	    "replace_allowed_ips=true\n"
	    "allowed_ip=100.64.0.2/32\nallowed_ip=10.200.0.0/24\n\n") == 0,
	    "endpoint removed: the peer removed, then added again with its "
	    "allowed IPs and keepalive off, in one request");
	free(req);

	wg_endpoint_pton("198.51.100.7:40123", &ep);
	n = wg_endpoint_peers(key, &ep, a, 2, 1, p);
	req = n == 2 ? wg_uapi_set_request(NULL, -1, p, n, &len) : NULL;
	CHECK(req != NULL && strcmp(req, "set=1\n"
	    "public_key=" HEX2 "\nremove=true\n"
	    "public_key=" HEX2 "\nendpoint=198.51.100.7:40123\n"
	    "persistent_keepalive_interval=25\n"
	    "replace_allowed_ips=true\n"
	    "allowed_ip=100.64.0.2/32\nallowed_ip=10.200.0.0/24\n\n") == 0,
	    "fresh endpoint: the peer removed, then added again with its "
	    "allowed IPs, the endpoint and keepalive 25, in one request");
	free(req);
}

static void
test_get(void)
{
	struct wg_device_info	 info;
	const char		*why;
	int			 err = -1;
	const char		*reply =
	    "private_key=" HEX1 "\n"
	    "listen_port=51820\n"
	    "fwmark=0\n"
	    "public_key=" HEX2 "\n"
	    "preshared_key=" HEX0 "\n"
	    "protocol_version=1\n"
	    "endpoint=10.99.0.2:51820\n"
	    "last_handshake_time_sec=1700000000\n"
	    "last_handshake_time_nsec=123456789\n"
	    "tx_bytes=1424\n"
	    "rx_bytes=18446744073709551615\n"
	    "persistent_keepalive_interval=25\n"
	    "allowed_ip=100.64.0.2/32\n"
	    "allowed_ip=fd00::/8\n"
	    "public_key=" HEX3 "\n"
	    "endpoint=[2001:db8::1]:443\n"
	    "some_future_key=whatever it is\n"
	    "last_handshake_time_sec=0\n"
	    "errno=0\n"
	    "\n";

	why = parse(reply, &info, &err);
	CHECK(why == NULL && err == 0, "get reply accepted (%s)",
	    why ? why : "ok");
	if (why != NULL)
		return;
	CHECK(info.listen_port == 51820, "listen_port 51820");
	CHECK(info.npeers == 2, "two peers");
	if (info.npeers == 2) {
		CHECK(info.peers[0].pubkey[0] == 2 &&
		    info.peers[0].pubkey[31] == 2, "peer 1 key");
		CHECK(info.peers[0].last_handshake == 1700000000,
		    "peer 1 handshake");
		CHECK(info.peers[0].rx_bytes == UINT64_MAX &&
		    info.peers[0].tx_bytes == 1424, "peer 1 rx/tx");
		CHECK(info.peers[0].endpoint.sa.sa_family == AF_INET &&
		    ntohs(info.peers[0].endpoint.sin.sin_port) == 51820 &&
		    info.peers[0].endpoint.sin.sin_addr.s_addr ==
		    inet_addr("10.99.0.2"), "peer 1 endpoint");
		CHECK(info.peers[1].pubkey[0] == 3 &&
		    info.peers[1].endpoint.sa.sa_family == AF_INET6 &&
		    ntohs(info.peers[1].endpoint.sin6.sin6_port) == 443 &&
		    info.peers[1].rx_bytes == 0 &&
		    info.peers[1].last_handshake == 0,
		    "peer 2: IPv6 endpoint, no traffic, unknown key ignored");
	}
	wg_info_free(&info);

	why = parse("errno=0\n\n", &info, &err);
	CHECK(why == NULL && err == 0 && info.npeers == 0 &&
	    info.listen_port == -1, "set reply errno=0");
	why = parse("errno=98\n\n", &info, &err);
	CHECK(why == NULL && err == 98, "errno=98 reported as 98");
	why = parse("errno=-22\n\n", &info, &err);
	CHECK(why == NULL && err == 22, "errno=-22 reported as 22");
}

static void
test_many_peers(void)
{
	struct wg_device_info	 info;
	char			*buf, *p;
	size_t			 i, n = 1000;
	const char		*why;
	int			 err;

	buf = malloc(n * 100 + 32);
	p = buf;
	for (i = 0; i < n; i++)
		p += sprintf(p, "public_key=%064zx\nrx_bytes=%zu\n", i + 1, i);
	strcpy(p, "errno=0\n\n");
	why = parse(buf, &info, &err);
	CHECK(why == NULL && info.npeers == n &&
	    info.peers[n - 1].rx_bytes == n - 1 &&
	    info.peers[n - 1].pubkey[31] == (n & 0xff),
	    "1000 peers parsed in order");
	if (why == NULL)
		wg_info_free(&info);
	free(buf);
}

static void
test_hostile(void)
{
	static const struct {
		const char	*in;
		const char	*why;
	} t[] = {
		{ "", "no blank line at the end" },
		{ "\n", "no errno" },
		{ "errno=0", "last line without newline" },
		{ "errno=0\n", "no blank line at the end" },
		{ "errno=0\n\nx", "data after the blank line" },
		{ "errno=0\n\n\n", "data after the blank line" },
		{ "errno=0\nlisten_port=1\n\n", "line after errno" },
		{ "listen_port=1\n\n", "no errno" },
		{ "errno\n\n", "line without key" },
		{ "=0\n\n", "line without key" },
		{ "Errno=0\n\n", "bad key" },
		{ "err no=0\n\n", "bad key" },
		{ "errno=\n\n", "bad errno" },
		{ "errno=+1\n\n", "bad errno" },
		{ "errno=2147483648\n\n", "bad errno" },
		{ "errno=0x10\n\n", "bad errno" },
		{ "listen_port=65536\nerrno=0\n\n", "bad listen_port" },
		{ "listen_port= 1\nerrno=0\n\n", "bad listen_port" },
		{ "listen_port=-1\nerrno=0\n\n", "bad listen_port" },
		{ "fwmark=4294967296\nerrno=0\n\n", "bad fwmark" },
		{ "private_key=" HEX1 "0\nerrno=0\n\n", "bad private_key" },
		{ "public_key=" HEX1 "\nrx_bytes=18446744073709551616\n"
		    "errno=0\n\n", "bad rx_bytes" },
		{ "public_key=" HEX1 "\ntx_bytes=99999999999999999999999\n"
		    "errno=0\n\n", "bad tx_bytes" },
		{ "public_key=" HEX1 "\nlast_handshake_time_sec="
		    "9223372036854775808\nerrno=0\n\n",
		    "bad last_handshake_time_sec" },
		{ "public_key=" HEX1 "\nlast_handshake_time_nsec="
		    "1000000000\nerrno=0\n\n", "bad last_handshake_time_nsec" },
		{ "public_key=" HEX1 "\npersistent_keepalive_interval=65536\n"
		    "errno=0\n\n", "bad persistent_keepalive_interval" },
		{ "public_key=0101\nerrno=0\n\n", "bad public_key" },
		{ "public_key=" "g101010101010101010101010101010101010101010101"
		    "010101010101010101\nerrno=0\n\n", "bad public_key" },
		{ "public_key=" HEX1 "00\nerrno=0\n\n", "bad public_key" },
		{ "public_key=\nerrno=0\n\n", "bad public_key" },
		{ "public_key=" HEX1 "\npreshared_key=zz\nerrno=0\n\n",
		    "bad preshared_key" },
		{ "endpoint=1.2.3.4:5\nerrno=0\n\n",
		    "peer key before public_key" },
		{ "rx_bytes=1\nerrno=0\n\n", "peer key before public_key" },
		{ "public_key=" HEX1 "\nlisten_port=1\nerrno=0\n\n",
		    "device key after public_key" },
		{ "public_key=" HEX1 "\nprivate_key=" HEX1 "\nerrno=0\n\n",
		    "device key after public_key" },
		{ "public_key=" HEX1 "\nendpoint=1.2.3.4\nerrno=0\n\n",
		    "bad endpoint" },
		{ "public_key=" HEX1 "\nendpoint=1.2.3.4:65536\nerrno=0\n\n",
		    "bad endpoint" },
		{ "public_key=" HEX1 "\nendpoint=1.2.3.4:-1\nerrno=0\n\n",
		    "bad endpoint" },
		{ "public_key=" HEX1 "\nendpoint=:5\nerrno=0\n\n",
		    "bad endpoint" },
		{ "public_key=" HEX1 "\nendpoint=[::1:5\nerrno=0\n\n",
		    "bad endpoint" },
		{ "public_key=" HEX1 "\nendpoint=[::1]5\nerrno=0\n\n",
		    "bad endpoint" },
		{ "public_key=" HEX1 "\nendpoint=::1:5\nerrno=0\n\n",
		    "bad endpoint" },
		{ "public_key=" HEX1 "\nendpoint=[fe80::1%eth0]:5\nerrno=0\n\n",
		    "bad endpoint" },
		{ "public_key=" HEX1 "\nendpoint=[1.2.3.4]:5\nerrno=0\n\n",
		    "bad endpoint" },
		{ "public_key=" HEX1 "\nendpoint=1.2.3.400:5\nerrno=0\n\n",
		    "bad endpoint" },
		{ "public_key=" HEX1 "\nallowed_ip=1.2.3.4/33\nerrno=0\n\n",
		    "bad allowed_ip" },
		{ "public_key=" HEX1 "\nallowed_ip=1.2.3.4\nerrno=0\n\n",
		    "bad allowed_ip" },
		{ "public_key=" HEX1 "\nallowed_ip=::/129\nerrno=0\n\n",
		    "bad allowed_ip" },
		{ "public_key=" HEX1 "\nallowed_ip=::/-1\nerrno=0\n\n",
		    "bad allowed_ip" },
		/* accepted */
		{ "unknown_key=1\npublic_key=" HEX1 "\nanother=\nerrno=0\n\n",
		    "" },
		{ "public_key=" HEX1 "\nendpoint=[fe80::1%4]:51820\n"
		    "errno=0\n\n", "" },
		{ "public_key=" "ABABABABABABABABABABABABABABABABABABABABABABAB"
		    "ABABABABABABABABAB\nerrno=0\n\n", "" },
	};
	char	 buf[1024];
	size_t	 i;

	for (i = 0; i < nitems(t); i++)
		CHECK(strcmp(refused(t[i].in), t[i].why) == 0,
		    "hostile %zu: \"%s\" (%s)", i, t[i].why,
		    refused(t[i].in));

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "x=", 2);
	strcpy(buf + WG_UAPI_LINE_MAX + 1, "\nerrno=0\n\n");
	CHECK(strcmp(refused(buf), "line too long") == 0,
	    "line of %d bytes refused", WG_UAPI_LINE_MAX + 1);
	buf[WG_UAPI_LINE_MAX] = '\n';
	strcpy(buf + WG_UAPI_LINE_MAX + 1, "errno=0\n\n");
	CHECK(strcmp(refused(buf), "") == 0,
	    "line of %d bytes accepted", WG_UAPI_LINE_MAX);

	memcpy(buf, "errno=0\n\n", 10);
	buf[3] = '\0';
	{
		struct wg_device_info	info;
		int			err;

		CHECK(wg_uapi_parse(buf, 9, &info, &err) != NULL &&
		    strcmp(wg_uapi_parse(buf, 9, &info, &err),
		    "NUL byte in line") == 0, "NUL byte in a line refused");
		CHECK(wg_uapi_parse("errno=0\n\nGARBAGE", 9, &info,
		    &err) == NULL && err == 0,
		    "only the given length is read");
	}
}

static void
test_reply_end(void)
{
	const char	*r = "a=1\nerrno=0\n\n";

	CHECK(wg_uapi_reply_end(r, strlen(r), 0) == strlen(r),
	    "reply end found");
	CHECK(wg_uapi_reply_end(r, strlen(r) - 1, 0) == 0,
	    "no end without the blank line");
	CHECK(wg_uapi_reply_end(r, strlen(r), strlen(r) - 2) == strlen(r),
	    "end found across two reads");
	CHECK(wg_uapi_reply_end("\n", 1, 0) == 1, "empty reply ends at once");
	CHECK(wg_uapi_reply_end("a\n\nb\n\n", 6, 0) == 3,
	    "the first blank line ends the reply");
	CHECK(wg_uapi_reply_end("", 0, 0) == 0, "nothing read, no end");
}

int
main(void)
{
	log_init(1, 0);
	log_procinit("uapi_test");
	test_request();
	test_endpoint();
	test_get();
	test_many_peers();
	test_hostile();
	test_reply_end();
	return failed;
}
