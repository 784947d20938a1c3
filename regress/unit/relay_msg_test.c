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
 * Unit tests for netbirdd/relay_msg.c: peer IDs and the Auth message
 * against vectors computed with Python's hashlib and hmac, the exact
 * bytes of every encoder and its refusals, and the decoder on valid
 * messages, every truncation of them, every version and type byte,
 * oversized messages and odd peer ID lists.  Every input the decoder
 * sees is a heap copy of exactly its length, so that a build with
 * SANITIZE=1 catches a read past the end.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "relay.h"

/* A WireGuard key (bytes 0..31) and its peer ID. */
#define KEY_A	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define PID_A_STR "sha-kF8o3vGOqsBa5vErLDRSdEr69ibaE0PVezlbVE4FGbY="
#define KEY_B	"mKYmQG+vn4bYdHHWdLXs1aqbvDZmDu0YfY+d6Ft5Y2w="
#define PID_B_STR "sha-cPxrX7SIOUTvEO2snamrRRduX1TDl/hL5+yQUUt1vgg="

/* Token for secret "relay-secret", expiry 1767225600 (protocol.md 6.4). */
#define TOK_PAYLOAD	"1767225600"
#define TOK_SIG		"VKdBGWTyXSmxa1R8fbxIl+XUsP6u0Pqg438kA5n56ZQ="

#define URL		"rels://relay.example.com:443"

static const uint8_t pid_a[RELAY_PEERID_LEN] = {
	0x73, 0x68, 0x61, 0x2d, 0x90, 0x5f, 0x28, 0xde, 0xf1, 0x8e, 0xaa, 0xc0,
	0x5a, 0xe6, 0xf1, 0x2b, 0x2c, 0x34, 0x52, 0x74, 0x4a, 0xfa, 0xf6, 0x26,
	0xda, 0x13, 0x43, 0xd5, 0x7b, 0x39, 0x5b, 0x54, 0x4e, 0x05, 0x19, 0xb6
};

static const uint8_t pid_b[RELAY_PEERID_LEN] = {
	0x73, 0x68, 0x61, 0x2d, 0x70, 0xfc, 0x6b, 0x5f, 0xb4, 0x88, 0x39, 0x44,
	0xef, 0x10, 0xed, 0xac, 0x9d, 0xa9, 0xab, 0x45, 0x17, 0x6e, 0x5f, 0x54,
	0xc3, 0x97, 0xf8, 0x4b, 0xe7, 0xec, 0x90, 0x51, 0x4b, 0x75, 0xbe, 0x08
};

/* The 85-byte Auth of protocol.md 6.4 for KEY_A and the token above. */
static const uint8_t auth_a[85] = {
	0x01, 0x06, 0x21, 0x12, 0xa4, 0x42, 0x73, 0x68, 0x61, 0x2d, 0x90, 0x5f,
	0x28, 0xde, 0xf1, 0x8e, 0xaa, 0xc0, 0x5a, 0xe6, 0xf1, 0x2b, 0x2c, 0x34,
	0x52, 0x74, 0x4a, 0xfa, 0xf6, 0x26, 0xda, 0x13, 0x43, 0xd5, 0x7b, 0x39,
	0x5b, 0x54, 0x4e, 0x05, 0x19, 0xb6, 0x01, 0x54, 0xa7, 0x41, 0x19, 0x64,
	0xf2, 0x5d, 0x29, 0xb1, 0x6b, 0x54, 0x7c, 0x7d, 0xbc, 0x48, 0x97, 0xe5,
	0xd4, 0xb0, 0xfe, 0xae, 0xd0, 0xfa, 0xa0, 0xe3, 0x7f, 0x24, 0x03, 0x99,
	0xf9, 0xe9, 0x94, 0x31, 0x37, 0x36, 0x37, 0x32, 0x32, 0x35, 0x36, 0x30,
	0x30
};

/* A WireGuard keepalive-sized payload. */
static const uint8_t wgpkt[5] = { 0x04, 0x00, 0x00, 0x00, 0xaa };

static int	 failed;

static void	 check(int, const char *);
static int	 decode_copy(const uint8_t *, size_t, struct relay_msg *,
		    const char **);
static int	 within(const void *, size_t, const uint8_t *, size_t);
static int	 valid_prefix(int, size_t);
static void	 test_peerid(void);
static void	 test_header(void);
static void	 test_transport(void);
static void	 test_auth(void);
static void	 test_peers(void);
static void	 test_decode_valid(void);
static void	 test_truncations(void);
static void	 test_versions(void);
static void	 test_types(void);
static void	 test_sizes(void);
static void	 test_bad_bodies(void);

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

/*
 * Decode a heap copy of exactly len bytes; on success every pointer
 * must lie inside it, on failure a reason must be given.
 */
static int
decode_copy(const uint8_t *msg, size_t len, struct relay_msg *m,
    const char **why)
{
	uint8_t	*copy;
	int	 rv;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL) {
		perror("malloc");
		exit(1);
	}
	if (len > 0)
		memcpy(copy, msg, len);
	*why = NULL;
	rv = relay_msg_decode(copy, len, m, why);
	if (rv == 0 && (!within(m->payload, m->payload_len, copy, len) ||
	    !within(m->ids, m->nids * RELAY_PEERID_LEN, copy, len) ||
	    !within(m->url, m->url_len, copy, len)))
		rv = -2;
	if (rv == -1 && (*why == NULL || **why == '\0'))
		rv = -3;
	/* the pointers are the copy's: make them the caller's */
	if (rv == 0) {
		if (m->payload != NULL)
			m->payload = msg + (m->payload - copy);
		if (m->ids != NULL)
			m->ids = msg + (m->ids - copy);
		if (m->url != NULL)
			m->url = (const char *)msg +
			    ((const uint8_t *)m->url - copy);
	}
	free(copy);
	return rv;
}

static int
within(const void *p, size_t plen, const uint8_t *buf, size_t len)
{
	const uint8_t	*q = p;

	if (q == NULL)
		return plen == 0;
	return q >= buf && q <= buf + len && plen <= (size_t)(buf + len - q);
}

/* Whether the first len bytes of a valid message of this type decode. */
static int
valid_prefix(int type, size_t len)
{
	switch (type) {
	case RELAY_TRANSPORT:
		return len >= RELAY_TRANSPORT_HDR;
	case RELAY_CLOSE:
	case RELAY_HEALTH:
		return len >= RELAY_HDR_LEN;
	case RELAY_AUTH_RESPONSE:
		return len > RELAY_HDR_LEN;
	case RELAY_PEERS_ONLINE:
	case RELAY_PEERS_OFFLINE:
		return len > RELAY_HDR_LEN &&
		    (len - RELAY_HDR_LEN) % RELAY_PEERID_LEN == 0;
	}
	return 0;
}

static void
test_peerid(void)
{
	struct relay_peerid	 pid;
	char			 s[RELAY_PEERID_STR];

	relay_peerid(KEY_A, &pid);
	check(memcmp(pid.id, pid_a, sizeof(pid_a)) == 0,
	    "peer ID of key A = sha- || SHA-256(key string)");
	check(strcmp(relay_peerid_str(&pid, s, sizeof(s)), PID_A_STR) == 0,
	    "peer ID string of key A");
	check(strlen(s) == RELAY_PEERID_STR - 1,
	    "peer ID string fills RELAY_PEERID_STR");
	relay_peerid(KEY_B, &pid);
	check(memcmp(pid.id, pid_b, sizeof(pid_b)) == 0, "peer ID of key B");
	check(strcmp(relay_peerid_str(&pid, s, sizeof(s)), PID_B_STR) == 0,
	    "peer ID string of key B");
	memcpy(pid.id, "\x00\n a", 4);
	relay_peerid_str(&pid, s, sizeof(s));
	check(memcmp(s, "???a", 4) == 0 && strcmp(s + 4, PID_B_STR + 4) == 0,
	    "peer ID string: unprintable prefix bytes shown as ?");
}

static void
test_header(void)
{
	uint8_t	 buf[8];
	int	 t, bad = 0;

	check(relay_msg_header(buf, sizeof(buf), RELAY_CLOSE) == 2 &&
	    buf[0] == 0x01 && buf[1] == 0x04, "Close = 01 04");
	check(relay_msg_header(buf, sizeof(buf), RELAY_HEALTH) == 2 &&
	    buf[0] == 0x01 && buf[1] == 0x05, "HealthCheck = 01 05");
	check(relay_msg_header(buf, 1, RELAY_CLOSE) == 0,
	    "header refused in 1 byte");
	for (t = -1; t <= 256; t++)
		if (t != RELAY_CLOSE && t != RELAY_HEALTH &&
		    relay_msg_header(buf, sizeof(buf), t) != 0)
			bad++;
	check(bad == 0, "header refuses every type but Close and HealthCheck");
}

static void
test_transport(void)
{
	static uint8_t		 big[RELAY_MSG_MAX + 16], src[RELAY_MSG_MAX];
	static const uint8_t	 want[] = {
		0x01, 0x03, 0x73, 0x68, 0x61, 0x2d, 0x70, 0xfc, 0x6b, 0x5f,
		0xb4, 0x88, 0x39, 0x44, 0xef, 0x10, 0xed, 0xac, 0x9d, 0xa9,
		0xab, 0x45, 0x17, 0x6e, 0x5f, 0x54, 0xc3, 0x97, 0xf8, 0x4b,
		0xe7, 0xec, 0x90, 0x51, 0x4b, 0x75, 0xbe, 0x08,
		0x04, 0x00, 0x00, 0x00, 0xaa
	};
	struct relay_peerid	 dst;
	uint8_t			 buf[64];
	const size_t		 maxp = RELAY_MSG_MAX - RELAY_TRANSPORT_HDR;

	relay_peerid(KEY_B, &dst);
	check(relay_msg_transport(buf, sizeof(buf), &dst, wgpkt,
	    sizeof(wgpkt)) == sizeof(want) &&
	    memcmp(buf, want, sizeof(want)) == 0,
	    "Transport = 01 03 || destination ID || payload");
	check(relay_msg_transport(buf, sizeof(buf), &dst, NULL, 0) == 38 &&
	    memcmp(buf, want, 38) == 0, "Transport with no payload: 38 bytes");
	check(relay_msg_transport(buf, sizeof(want) - 1, &dst, wgpkt,
	    sizeof(wgpkt)) == 0, "Transport refused in a buffer one short");
	memset(src, 0xee, sizeof(src));
	check(relay_msg_transport(big, sizeof(big), &dst, src, maxp) ==
	    RELAY_MSG_MAX && big[RELAY_MSG_MAX - 1] == 0xee,
	    "Transport of RELAY_MSG_MAX bytes");
	check(relay_msg_transport(big, sizeof(big), &dst, src, maxp + 1) == 0,
	    "Transport of RELAY_MSG_MAX + 1 refused");
}

static void
test_auth(void)
{
	struct relay_peerid	 self;
	uint8_t			 buf[RELAY_AUTH_MAX + 32];
	char			 payload[RELAY_AUTH_MAX];
	size_t			 i, n;
	/* 32 bytes each but for the length or alphabet noted */
	static const char	*badsig[] = {
		"",
		"not base64 at all!",
		"VKdBGWTyXSmxa1R8fbxIl+XUsP6u0Pqg438kA5n56Q==",	/* 31 */
		"VKdBGWTyXSmxa1R8fbxIl+XUsP6u0Pqg438kA5n56ZQA",	/* 33 */
		"VKdBGWTyXSmxa1R8fbxIl+XUsP6u0Pqg438kA5n56ZQ",	/* no pad */
		"VKdBGWTyXSmxa1R8fbxIl-XUsP6u0Pqg438kA5n56ZQ=",	/* URL */
		"VKdBGWTyXSmxa1R8fbxIl+XUsP6u0Pqg438kA5n56ZQ= ",
		"VKdBGWTyXSmxa1R8fbxIl+XUsP6u0Pqg438kA5n56ZQ=VKdB",
		"VKdBGWTyXSmxa1R8fbxIl+XUsP6u0Pqg438kA5n56ZSZVKdBGWTyXSmxa1R8"
	};
	static const char	*badpayload[] = {
		"", "1767 225600", "1767225600\n", "\x7f", "17672256\xc3\xa9"
	};

	relay_peerid(KEY_A, &self);
	n = relay_msg_auth(buf, sizeof(buf), &self, TOK_PAYLOAD, TOK_SIG);
	check(n == sizeof(auth_a) && memcmp(buf, auth_a, n) == 0,
	    "Auth: the 85 bytes of protocol.md 6.4");
	check(relay_msg_auth(buf, sizeof(auth_a), &self, TOK_PAYLOAD,
	    TOK_SIG) == sizeof(auth_a), "Auth fits a buffer of its size");
	check(relay_msg_auth(buf, sizeof(auth_a) - 1, &self, TOK_PAYLOAD,
	    TOK_SIG) == 0, "Auth refused in a buffer one short");
	for (i = 0; i < nitems(badsig); i++) {
		char	what[128];

		snprintf(what, sizeof(what), "Auth refuses signature %zu "
		    "(not the base64 of 32 bytes)", i);
		check(relay_msg_auth(buf, sizeof(buf), &self, TOK_PAYLOAD,
		    badsig[i]) == 0, what);
	}
	for (i = 0; i < nitems(badpayload); i++) {
		char	what[128];

		snprintf(what, sizeof(what), "Auth refuses payload %zu "
		    "(empty or not printable)", i);
		check(relay_msg_auth(buf, sizeof(buf), &self, badpayload[i],
		    TOK_SIG) == 0, what);
	}
	/* 2 + 4 + 36 + 1 + 32 = 75 bytes before the payload */
	memset(payload, '9', RELAY_AUTH_MAX - 75);
	payload[RELAY_AUTH_MAX - 75] = '\0';
	n = relay_msg_auth(buf, sizeof(buf), &self, payload, TOK_SIG);
	check(n == RELAY_AUTH_MAX && memcmp(buf, auth_a, 75) == 0 &&
	    buf[n - 1] == '9', "Auth of exactly RELAY_AUTH_MAX bytes");
	payload[RELAY_AUTH_MAX - 75] = '9';
	payload[RELAY_AUTH_MAX - 74] = '\0';
	check(relay_msg_auth(buf, sizeof(buf), &self, payload, TOK_SIG) == 0,
	    "Auth of RELAY_AUTH_MAX + 1 refused");
}

static void
test_peers(void)
{
	static struct relay_peerid	 many[RELAY_IDS_CHUNK + 1];
	static uint8_t			 big[RELAY_MSG_MAX + 64];
	struct relay_peerid		 ids[2];
	uint8_t				 buf[128];
	size_t				 i, n;
	int				 t, bad = 0;

	relay_peerid(KEY_A, &ids[0]);
	relay_peerid(KEY_B, &ids[1]);
	n = relay_msg_peers(buf, sizeof(buf), RELAY_SUBSCRIBE, ids, 1);
	check(n == 38 && buf[0] == 0x01 && buf[1] == 0x08 &&
	    memcmp(buf + 2, pid_a, 36) == 0, "Subscribe of one ID");
	n = relay_msg_peers(buf, sizeof(buf), RELAY_UNSUBSCRIBE, ids, 2);
	check(n == 74 && buf[0] == 0x01 && buf[1] == 0x09 &&
	    memcmp(buf + 2, pid_a, 36) == 0 &&
	    memcmp(buf + 38, pid_b, 36) == 0, "Unsubscribe of two IDs");
	check(relay_msg_peers(buf, 73, RELAY_UNSUBSCRIBE, ids, 2) == 0,
	    "Unsubscribe refused in a buffer one short");
	check(relay_msg_peers(buf, sizeof(buf), RELAY_SUBSCRIBE, ids, 0) == 0,
	    "Subscribe of no ID refused");
	for (i = 0; i < nitems(many); i++)
		many[i] = ids[i % 2];
	n = relay_msg_peers(big, sizeof(big), RELAY_SUBSCRIBE, many,
	    RELAY_IDS_CHUNK);
	check(n == 2 + RELAY_IDS_CHUNK * 36 && n <= RELAY_MSG_MAX &&
	    memcmp(big + 2 + 243 * 36, pid_b, 36) == 0,
	    "Subscribe of RELAY_IDS_CHUNK IDs, within RELAY_MSG_MAX");
	check(relay_msg_peers(big, sizeof(big), RELAY_SUBSCRIBE, many,
	    RELAY_IDS_CHUNK + 1) == 0,
	    "Subscribe of RELAY_IDS_CHUNK + 1 refused");
	for (t = -1; t <= 256; t++)
		if (t != RELAY_SUBSCRIBE && t != RELAY_UNSUBSCRIBE &&
		    relay_msg_peers(buf, sizeof(buf), t, ids, 1) != 0)
			bad++;
	check(bad == 0, "peer list encoder refuses other types");
}

static void
test_decode_valid(void)
{
	struct relay_msg	 m;
	const char		*why;
	uint8_t			 buf[128];
	size_t			 n;
	struct relay_peerid	 b;

	relay_peerid(KEY_B, &b);
	n = relay_msg_transport(buf, sizeof(buf), &b, wgpkt, sizeof(wgpkt));
	check(decode_copy(buf, n, &m, &why) == 0 &&
	    m.type == RELAY_TRANSPORT &&
	    memcmp(m.peer.id, pid_b, 36) == 0 && m.payload == buf + 38 &&
	    m.payload_len == sizeof(wgpkt) && m.nids == 0 && m.url == NULL,
	    "decode Transport: sender ID and payload");
	check(decode_copy(buf, 38, &m, &why) == 0 &&
	    m.type == RELAY_TRANSPORT && m.payload_len == 0,
	    "decode Transport with no payload");
	check(decode_copy((const uint8_t *)"\x01\x04", 2, &m, &why) == 0 &&
	    m.type == RELAY_CLOSE, "decode Close");
	check(decode_copy((const uint8_t *)"\x01\x05", 2, &m, &why) == 0 &&
	    m.type == RELAY_HEALTH, "decode HealthCheck");
	check(decode_copy((const uint8_t *)"\x01\x05xyz", 5, &m, &why) == 0 &&
	    m.type == RELAY_HEALTH, "decode HealthCheck, body ignored");
	memcpy(buf, "\x01\x07" URL, 2 + strlen(URL));
	check(decode_copy(buf, 2 + strlen(URL), &m, &why) == 0 &&
	    m.type == RELAY_AUTH_RESPONSE && m.url_len == strlen(URL) &&
	    memcmp(m.url, URL, m.url_len) == 0, "decode AuthResponse");
	buf[0] = 0x01;
	buf[1] = RELAY_PEERS_ONLINE;
	memcpy(buf + 2, pid_a, 36);
	memcpy(buf + 38, pid_b, 36);
	check(decode_copy(buf, 74, &m, &why) == 0 &&
	    m.type == RELAY_PEERS_ONLINE && m.nids == 2 && m.ids == buf + 2,
	    "decode PeersOnline of two IDs");
	buf[1] = RELAY_PEERS_OFFLINE;
	check(decode_copy(buf, 38, &m, &why) == 0 &&
	    m.type == RELAY_PEERS_OFFLINE && m.nids == 1 &&
	    memcmp(m.ids, pid_a, 36) == 0, "decode PeersWentOffline of one ID");
}

/* Every prefix of valid messages: decodes exactly when it is valid. */
static void
test_truncations(void)
{
	struct relay_msg	 m;
	const char		*why;
	uint8_t			 msgs[5][128];
	size_t			 lens[5], i, cut;
	int			 types[5], rv, bad = 0, tried = 0;
	struct relay_peerid	 ids[3];
	char			 what[96];

	relay_peerid(KEY_A, &ids[0]);
	relay_peerid(KEY_B, &ids[1]);
	relay_peerid(KEY_A, &ids[2]);
	lens[0] = relay_msg_transport(msgs[0], 128, &ids[0], wgpkt,
	    sizeof(wgpkt));
	lens[1] = relay_msg_header(msgs[1], 128, RELAY_HEALTH);
	memcpy(msgs[2], "\x01\x07" URL, 2 + strlen(URL));
	lens[2] = 2 + strlen(URL);
	lens[3] = relay_msg_peers(msgs[3], 128, RELAY_SUBSCRIBE, ids, 3);
	msgs[3][1] = RELAY_PEERS_ONLINE;
	lens[4] = relay_msg_header(msgs[4], 128, RELAY_CLOSE);
	for (i = 0; i < nitems(msgs); i++)
		types[i] = msgs[i][1];
	for (i = 0; i < nitems(msgs); i++) {
		bad = tried = 0;
		for (cut = 0; cut <= lens[i]; cut++) {
			rv = decode_copy(msgs[i], cut, &m, &why);
			tried++;
			if (valid_prefix(types[i], cut) ? rv != 0 ||
			    m.type != types[i] : rv != -1)
				bad++;
		}
		snprintf(what, sizeof(what), "every truncation of a type %d "
		    "message (%d lengths)", types[i], tried);
		check(bad == 0, what);
	}
}

static void
test_versions(void)
{
	struct relay_msg	 m;
	const char		*why;
	uint8_t			 buf[64];
	int			 v, bad = 0;

	memcpy(buf, "\x01\x07" URL, 2 + strlen(URL));
	for (v = 0; v < 256; v++) {
		if (v == RELAY_VERSION)
			continue;
		buf[0] = v;
		if (decode_copy(buf, 2 + strlen(URL), &m, &why) != -1 ||
		    strstr(why, "version") == NULL)
			bad++;
		buf[1] = RELAY_HEALTH;
		if (decode_copy(buf, 2, &m, &why) != -1)
			bad++;
		buf[1] = RELAY_AUTH_RESPONSE;
	}
	check(bad == 0, "every version byte but 1 refused");
}

/* A body valid for every type the decoder takes: 36 printable bytes. */
static void
test_types(void)
{
	struct relay_msg	 m;
	const char		*why;
	uint8_t			 buf[2 + 36];
	int			 t, rv, bad = 0;

	buf[0] = RELAY_VERSION;
	memset(buf + 2, 'A', 36);
	for (t = 0; t < 256; t++) {
		buf[1] = t;
		rv = decode_copy(buf, sizeof(buf), &m, &why);
		switch (t) {
		case RELAY_TRANSPORT:
		case RELAY_CLOSE:
		case RELAY_HEALTH:
		case RELAY_AUTH_RESPONSE:
		case RELAY_PEERS_ONLINE:
		case RELAY_PEERS_OFFLINE:
			if (rv != 0 || m.type != t)
				bad++;
			break;
		default:
			if (rv != -1)
				bad++;
		}
	}
	check(bad == 0, "types 0..255: only 3, 4, 5, 7, 10, 11 decode");
	buf[1] = RELAY_AUTH;
	check(decode_copy(buf, sizeof(buf), &m, &why) == -1 &&
	    strstr(why, "client") != NULL, "Auth from a server refused");
}

static void
test_sizes(void)
{
	static uint8_t		 big[RELAY_MSG_MAX + 64];
	struct relay_msg	 m;
	const char		*why;

	memset(big, 'u', sizeof(big));
	big[0] = RELAY_VERSION;
	big[1] = RELAY_TRANSPORT;
	check(decode_copy(big, RELAY_MSG_MAX, &m, &why) == 0 &&
	    m.payload_len == RELAY_MSG_MAX - 38,
	    "Transport of RELAY_MSG_MAX bytes decodes");
	check(decode_copy(big, RELAY_MSG_MAX + 1, &m, &why) == -1,
	    "Transport of RELAY_MSG_MAX + 1 bytes refused");
	big[1] = RELAY_HEALTH;
	check(decode_copy(big, RELAY_MSG_MAX + 1, &m, &why) == -1,
	    "HealthCheck of RELAY_MSG_MAX + 1 bytes refused");
	check(decode_copy(big, sizeof(big), &m, &why) == -1,
	    "HealthCheck of RELAY_MSG_MAX + 64 bytes refused");
	big[1] = RELAY_AUTH_RESPONSE;
	check(decode_copy(big, RELAY_AUTH_RESP_MAX, &m, &why) == 0 &&
	    m.url_len == RELAY_AUTH_RESP_MAX - 2,
	    "AuthResponse of RELAY_AUTH_RESP_MAX bytes decodes");
	check(decode_copy(big, RELAY_AUTH_RESP_MAX + 1, &m, &why) == -1,
	    "AuthResponse of RELAY_AUTH_RESP_MAX + 1 bytes refused");
	big[1] = RELAY_PEERS_ONLINE;
	check(decode_copy(big, 2 + 244 * 36, &m, &why) == 0 && m.nids == 244,
	    "PeersOnline of 244 IDs decodes");
	check(decode_copy(big, 2 + 245 * 36, &m, &why) == -1,
	    "PeersOnline of 245 IDs (over RELAY_MSG_MAX) refused");
}

static void
test_bad_bodies(void)
{
	static const size_t	 odd[] = { 1, 35, 37, 71, 73, 36 * 10 + 1 };
	static const char	*badurl[] = {
		"rels://a b", "rels://a\nb", "\x7f", "rels://\xc3\xa9",
		"rels://a\tb"
	};
	struct relay_msg	 m;
	const char		*why;
	uint8_t			 buf[512];
	size_t			 i;
	int			 bad = 0;

	memset(buf, 0x5a, sizeof(buf));
	buf[0] = RELAY_VERSION;
	for (i = 0; i < nitems(odd); i++) {
		buf[1] = RELAY_PEERS_ONLINE;
		if (decode_copy(buf, 2 + odd[i], &m, &why) != -1)
			bad++;
		buf[1] = RELAY_PEERS_OFFLINE;
		if (decode_copy(buf, 2 + odd[i], &m, &why) != -1)
			bad++;
	}
	check(bad == 0, "peer ID lists not a multiple of 36 refused");
	buf[1] = RELAY_PEERS_ONLINE;
	check(decode_copy(buf, 2, &m, &why) == -1 &&
	    strstr(why, "empty") != NULL, "empty PeersOnline refused");
	buf[1] = RELAY_PEERS_OFFLINE;
	check(decode_copy(buf, 2, &m, &why) == -1,
	    "empty PeersWentOffline refused");
	buf[1] = RELAY_AUTH_RESPONSE;
	check(decode_copy(buf, 2, &m, &why) == -1 &&
	    strstr(why, "URL") != NULL,
	    "AuthResponse with an empty URL refused");
	bad = 0;
	for (i = 0; i < nitems(badurl); i++) {
		memcpy(buf + 2, badurl[i], strlen(badurl[i]));
		if (decode_copy(buf, 2 + strlen(badurl[i]), &m, &why) != -1)
			bad++;
	}
	memcpy(buf + 2, "rels://a\0b", 10);
	if (decode_copy(buf, 12, &m, &why) != -1)
		bad++;
	check(bad == 0, "AuthResponse with an unprintable URL refused");
	buf[1] = RELAY_TRANSPORT;
	check(decode_copy(buf, 37, &m, &why) == -1,
	    "Transport of 37 bytes refused");
	check(decode_copy(buf, 12, &m, &why) == -1,
	    "Transport of 12 bytes refused");
	check(decode_copy(buf, 1, &m, &why) == -1 &&
	    decode_copy(buf, 0, &m, &why) == -1, "1 and 0 bytes refused");
}

int
main(void)
{
	test_peerid();
	test_header();
	test_transport();
	test_auth();
	test_peers();
	test_decode_valid();
	test_truncations();
	test_versions();
	test_types();
	test_sizes();
	test_bad_bodies();
	return failed;
}
