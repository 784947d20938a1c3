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
 * Unit tests for netbirdd/ice_stun.c: the RFC 5769 test vectors, the
 * same request as a Go peer of the NetBird fork would send it (0x8100
 * after FINGERPRINT), hostile messages, and our builders checked by
 * libnice's own validator and ICE usage (what a NiceAgent runs).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stun/stunagent.h>
#include <stun/stunmessage.h>
#include <stun/usages/ice.h>

#include "compat.h"
#include "ice.h"

#define VEC_USER	"evtj:h6vY"
#define VEC_PWD		"VOkJxbRl1RmTxUk/WvJxBt"
#define PAIR_ID		"3b7Tq9Lk2Pz+Yw/AbCdEfGhIjKlMnOpQ:" \
			"8Ff+Rt5sUv6wXy7zA0B1C2D3E4F5G6H7"

/* RFC 5769 2.1: sample request, short-term credentials. */
static const uint8_t vec_req[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
	0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
	0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20,
	0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56,
	0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
	0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf
};
#define VEC_REQ_MI	76	/* offset of MESSAGE-INTEGRITY */
#define VEC_REQ_FP	100	/* offset of FINGERPRINT */

/* RFC 5769 2.2: sample IPv4 response, 192.0.2.1:32853. */
static const uint8_t vec_resp4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
	0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
	0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96
};

/* RFC 5769 2.3: sample IPv6 response,
 * [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t vec_resp6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
	0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
	0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c
};

static const uint8_t vec_tid[ICE_STUN_TID_LEN] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae
};

static int	 failed;

static void	 check(int, const char *);
static void	 mkaddr(struct sockaddr_storage *, const char *, uint16_t);
static void	 set_len(uint8_t *, size_t);
static size_t	 put_attr(uint8_t *, size_t, uint16_t, const void *,
		    size_t);
static size_t	 go_style(uint8_t *, const uint8_t *, size_t,
		    const char *);
static int	 nice_validate(const uint8_t *, size_t, const char *,
		    const char *, int);
static void	 test_vectors(void);
static void	 test_go_style(void);
static void	 test_after_mi(void);
static void	 test_truncated(void);
static void	 test_hostile(void);
static void	 test_classes(void);
static void	 test_builders(void);
static void	 test_small_buffers(void);
static void	 test_libnice_accepts_ours(void);
static void	 test_we_accept_libnice(void);

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

static void
mkaddr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else
		abort();
}

/* The header's length field for a message of len bytes. */
static void
set_len(uint8_t *m, size_t len)
{
	m[2] = (len - 20) >> 8;
	m[3] = (len - 20) & 0xff;
}

/* Append an attribute at off, zero-padded as pion pads; new length. */
static size_t
put_attr(uint8_t *m, size_t off, uint16_t type, const void *v, size_t len)
{
	size_t	 pad = (4 - len % 4) % 4;

	m[off] = type >> 8;
	m[off + 1] = type & 0xff;
	m[off + 2] = len >> 8;
	m[off + 3] = len & 0xff;
	if (len > 0)
		memcpy(m + off + 4, v, len);
	memset(m + off + 4 + len, 0, pad);
	return off + 4 + len + pad;
}

/* What pion's sendSTUN does: 0x8100 after FINGERPRINT, length updated. */
static size_t
go_style(uint8_t *out, const uint8_t *m, size_t len, const char *pairid)
{
	size_t	 n;

	memcpy(out, m, len);
	n = put_attr(out, len, 0x8100, pairid, strlen(pairid));
	set_len(out, n);
	return n;
}

/* libnice's validator as a NiceAgent in RFC 5245 mode sets it up. */
static int
nice_validate(const uint8_t *m, size_t len, const char *user,
    const char *pwd, int fingerprint)
{
	StunAgent			 agent;
	StunMessage			 msg;
	StunDefaultValidaterData	 v[2];
	char				 u[600], p[300];

	strlcpy(u, user, sizeof(u));
	strlcpy(p, pwd, sizeof(p));
	memset(v, 0, sizeof(v));
	v[0].username = (uint8_t *)u;
	v[0].username_len = strlen(u);
	v[0].password = (uint8_t *)p;
	v[0].password_len = strlen(p);
	stun_agent_init(&agent, STUN_ALL_KNOWN_ATTRIBUTES,
	    STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
	    (fingerprint ? STUN_AGENT_USAGE_USE_FINGERPRINT : 0));
	return stun_agent_validate(&agent, &msg, m, len,
	    stun_agent_default_validater, v);
}

static void
test_vectors(void)
{
	struct ice_stun			 st;
	struct sockaddr_storage		 want;

	check(nice_validate(vec_req, sizeof(vec_req), VEC_USER, VEC_PWD, 1) ==
	    STUN_VALIDATION_SUCCESS, "RFC 5769 request: libnice validates it "
	    "(the vector is typed in right)");
	check(ice_stun_is_stun(vec_req, sizeof(vec_req)), "request is STUN");
	check(ice_stun_parse(vec_req, sizeof(vec_req), &st) == 0,
	    "RFC 5769 request parses");
	check(st.cls == ICE_STUN_REQUEST && st.method == ICE_STUN_BINDING,
	    "Binding request");
	check(memcmp(st.tid, vec_tid, sizeof(vec_tid)) == 0,
	    "transaction id");
	check(strcmp(st.username, VEC_USER) == 0, "USERNAME evtj:h6vY");
	check(st.priority == 0x6e0001ff, "PRIORITY 0x6e0001ff");
	check(st.role == ICE_ROLE_CONTROLLED &&
	    st.tiebreaker == 0x932ff9b151263b36ULL,
	    "ICE-CONTROLLED with its tie-breaker");
	check(st.has_integrity && !st.use_candidate && st.error_code == 0 &&
	    st.mapped.ss_family == AF_UNSPEC, "MI, no USE-CANDIDATE, "
	    "no error, no address");
	check(ice_stun_integrity_ok(vec_req, sizeof(vec_req), VEC_PWD) == 1,
	    "request integrity with the vector's password");
	check(ice_stun_integrity_ok(vec_req, sizeof(vec_req),
	    "VOkJxbRl1RmTxUk/WvJxBT") == 0, "wrong password: integrity fails");
	check(ice_stun_integrity_ok(vec_req, sizeof(vec_req), "") == 0 &&
	    ice_stun_integrity_ok(vec_req, sizeof(vec_req), NULL) == 0,
	    "no password: integrity fails");

	check(ice_stun_parse(vec_resp4, sizeof(vec_resp4), &st) == 0 &&
	    st.cls == ICE_STUN_SUCCESS && st.method == ICE_STUN_BINDING,
	    "RFC 5769 IPv4 response parses");
	mkaddr(&want, "192.0.2.1", 32853);
	check(ice_addr_eq(&st.mapped, &want),
	    "XOR-MAPPED-ADDRESS 192.0.2.1:32853");
	check(ice_stun_integrity_ok(vec_resp4, sizeof(vec_resp4), VEC_PWD),
	    "IPv4 response integrity");

	check(ice_stun_parse(vec_resp6, sizeof(vec_resp6), &st) == 0 &&
	    st.cls == ICE_STUN_SUCCESS, "RFC 5769 IPv6 response parses");
	mkaddr(&want, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	check(ice_addr_eq(&st.mapped, &want),
	    "XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853");
	check(ice_stun_integrity_ok(vec_resp6, sizeof(vec_resp6), VEC_PWD),
	    "IPv6 response integrity");
	check(!ice_stun_integrity_ok(vec_resp6, sizeof(vec_resp6), "x"),
	    "IPv6 response, wrong password");
}

static void
test_go_style(void)
{
	struct ice_stun	 st;
	uint8_t		 m[ICE_STUN_MAX];
	size_t		 n;

	n = go_style(m, vec_req, sizeof(vec_req), PAIR_ID);
	check(n == sizeof(vec_req) + 4 + 68, "0x8100 appended (65 bytes and "
	    "3 of padding)");
	check(nice_validate(m, n, VEC_USER, VEC_PWD, 1) ==
	    STUN_VALIDATION_BAD_REQUEST, "libnice with FINGERPRINT check "
	    "refuses it (the quirk is real)");
	check(ice_stun_parse(m, n, &st) == 0, "Go-style request parses");
	check(strcmp(st.username, VEC_USER) == 0 &&
	    st.priority == 0x6e0001ff && st.role == ICE_ROLE_CONTROLLED &&
	    st.has_integrity, "same fields as the plain request");
	check(ice_stun_integrity_ok(m, n, VEC_PWD) == 1,
	    "Go-style request: integrity ok");
	check(ice_stun_integrity_ok(m, n, "VOkJxbRl1RmTxUk/WvJxB") == 0,
	    "Go-style request, wrong password: integrity fails");

	n = go_style(m, vec_resp4, sizeof(vec_resp4), "a:b");
	check(ice_stun_parse(m, n, &st) == 0 &&
	    ice_stun_integrity_ok(m, n, VEC_PWD) == 1,
	    "Go-style IPv4 response: parse and integrity ok");

	/* A changed byte before MESSAGE-INTEGRITY breaks it. */
	n = go_style(m, vec_req, sizeof(vec_req), PAIR_ID);
	m[VEC_REQ_MI - 6] ^= 0x01;
	check(ice_stun_parse(m, n, &st) == 0 &&
	    ice_stun_integrity_ok(m, n, VEC_PWD) == 0,
	    "USERNAME changed: parses, integrity fails");
	/* A changed byte after it (the pair id) does not. */
	n = go_style(m, vec_req, sizeof(vec_req), PAIR_ID);
	m[n - 5] ^= 0x01;
	check(ice_stun_integrity_ok(m, n, VEC_PWD) == 1,
	    "0x8100 value changed: integrity still ok");
}

/*
 * Attributes after MESSAGE-INTEGRITY other than FINGERPRINT: RFC 5389
 * 15.4 says to ignore them; pion's integrity check ignores them too.  We
 * accept the message and do not read them.
 */
static void
test_after_mi(void)
{
	struct ice_stun	 st;
	uint8_t		 m[ICE_STUN_MAX], prio[4] = { 0, 0, 0, 7 };
	uint8_t		 fp[4] = { 0xde, 0xad, 0xbe, 0xef };
	size_t		 n;

	memcpy(m, vec_req, VEC_REQ_FP);
	n = put_attr(m, VEC_REQ_FP, 0x0025, NULL, 0);	/* USE-CANDIDATE */
	n = put_attr(m, n, 0x8028, fp, 4);		/* bad FINGERPRINT */
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == 0 && !st.use_candidate,
	    "USE-CANDIDATE after MI: message accepted, attribute ignored");
	check(ice_stun_integrity_ok(m, n, VEC_PWD) == 1,
	    "USE-CANDIDATE after MI: integrity over what precedes MI");

	memcpy(m, vec_req, sizeof(vec_req));
	n = put_attr(m, sizeof(vec_req), 0x0024, prio, 4);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == 0 && st.priority == 0x6e0001ff,
	    "PRIORITY after FINGERPRINT ignored");

	/* No MI: then a wrong FINGERPRINT alone does not matter either. */
	memcpy(m, vec_resp4, 48);
	n = put_attr(m, 48, 0x8028, fp, 4);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == 0 && !st.has_integrity &&
	    st.mapped.ss_family == AF_INET, "wrong FINGERPRINT not checked");
	check(ice_stun_integrity_ok(m, n, VEC_PWD) == 0,
	    "no MI: integrity fails");
}

static void
test_truncated(void)
{
	struct ice_stun	 st;
	uint8_t		*m;
	size_t		 i;
	int		 ok = 1;

	/* Each prefix in a buffer of its own size: ASan sees overreads. */
	for (i = 0; i < sizeof(vec_req); i++) {
		if ((m = malloc(i == 0 ? 1 : i)) == NULL)
			abort();
		memcpy(m, vec_req, i);
		if (ice_stun_parse(m, i, &st) != -1 ||
		    ice_stun_integrity_ok(m, i, VEC_PWD) != 0)
			ok = 0;
		free(m);
	}
	check(ok, "every truncation of the request refused");

	/* Cut at attribute boundaries with the length made to agree. */
	if ((m = malloc(sizeof(vec_req))) == NULL)
		abort();
	memcpy(m, vec_req, sizeof(vec_req));
	set_len(m, VEC_REQ_MI);
	check(ice_stun_parse(m, VEC_REQ_MI, &st) == 0 && !st.has_integrity &&
	    ice_stun_integrity_ok(m, VEC_REQ_MI, VEC_PWD) == 0,
	    "cut before MI: parses, no integrity");
	free(m);
}

static void
test_hostile(void)
{
	struct ice_stun	 st;
	uint8_t		 m[ICE_STUN_MAX + 8], v[8], u[514];
	size_t		 n;

	memcpy(m, vec_req, sizeof(vec_req));
	m[3] += 4;
	check(ice_stun_parse(m, sizeof(vec_req), &st) == -1,
	    "header length past the end");
	memcpy(m, vec_req, sizeof(vec_req));
	m[3] -= 4;
	check(ice_stun_parse(m, sizeof(vec_req), &st) == -1,
	    "header length short of the datagram");
	memcpy(m, vec_req, sizeof(vec_req));
	m[3] += 1;
	check(ice_stun_parse(m, sizeof(vec_req) + 1, &st) == -1,
	    "length not a multiple of 4");
	memcpy(m, vec_req, sizeof(vec_req));
	m[62] = 0x01;			/* USERNAME length 0x0109 */
	check(ice_stun_parse(m, sizeof(vec_req), &st) == -1 &&
	    ice_stun_integrity_ok(m, sizeof(vec_req), VEC_PWD) == 0,
	    "attribute length past the end");
	memcpy(m, vec_req, sizeof(vec_req));
	m[4] = 0x21 ^ 0xff;
	check(!ice_stun_is_stun(m, sizeof(vec_req)) &&
	    ice_stun_parse(m, sizeof(vec_req), &st) == -1, "bad cookie");
	memcpy(m, vec_req, sizeof(vec_req));
	m[0] |= 0x80;
	check(!ice_stun_is_stun(m, sizeof(vec_req)) &&
	    ice_stun_parse(m, sizeof(vec_req), &st) == -1,
	    "top bits of the type set");
	check(!ice_stun_is_stun(vec_req, 19), "19 bytes are not STUN");
	memset(m, 0, sizeof(m));
	memcpy(m, vec_req, 20);
	set_len(m, ICE_STUN_MAX + 4);
	check(ice_stun_parse(m, ICE_STUN_MAX + 4, &st) == -1,
	    "larger than ICE_STUN_MAX refused");

	/* Bad attribute values. */
	memcpy(m, vec_req, 20);
	n = put_attr(m, 20, 0x0006, "a\0b", 3);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1, "NUL inside USERNAME");
	memcpy(m, vec_req, 20);
	n = put_attr(m, 20, 0x0024, "abc", 3);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1, "PRIORITY of 3 bytes");
	memcpy(m, vec_req, 20);
	n = put_attr(m, 20, 0x0025, "abcd", 4);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1, "USE-CANDIDATE with a value");
	memset(v, 1, sizeof(v));
	memcpy(m, vec_req, 20);
	n = put_attr(m, 20, 0x802a, v, 8);
	n = put_attr(m, n, 0x8029, v, 8);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1,
	    "ICE-CONTROLLING and ICE-CONTROLLED both");
	memcpy(m, vec_req, 20);
	n = put_attr(m, 20, 0x802a, v, 4);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1, "ICE-CONTROLLING of 4 bytes");
	memcpy(m, vec_req, 20);
	n = put_attr(m, 20, 0x0008, v, 8);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1 &&
	    ice_stun_integrity_ok(m, n, VEC_PWD) == 0, "MI of 8 bytes");
	memcpy(m, vec_resp4, 20);
	n = put_attr(m, 20, 0x0020, "\x00\x03\x00\x01\x01\x02\x03\x04", 8);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1,
	    "XOR-MAPPED-ADDRESS of family 3");
	memcpy(m, vec_resp4, 20);
	n = put_attr(m, 20, 0x0020, "\x00\x02\x00\x01\x01\x02\x03\x04", 8);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1,
	    "XOR-MAPPED-ADDRESS IPv6 of 8 bytes");
	memcpy(m, vec_req, 20);
	n = put_attr(m, 20, 0x0006, NULL, 0);
	n = put_attr(m, n, 0x0006, "x", 1);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == 0 && st.username[0] == '\0',
	    "two USERNAMEs: the first, empty, counts");
	memset(u, 'u', sizeof(u));
	memcpy(m, vec_req, 20);
	n = put_attr(m, 20, 0x0006, u, 514);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1, "USERNAME of 514 bytes");
	memcpy(m, vec_req, 20);
	n = put_attr(m, 20, 0x0006, u, 513);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == 0 && strlen(st.username) == 513,
	    "USERNAME of 513 bytes (RFC 5389's most)");
}

/* Class and method bits: C1 is type bit 8, C0 bit 4. */
static void
test_classes(void)
{
	static const struct {
		uint16_t	 type;
		int		 cls;
		uint16_t	 method;
		const char	*what;
	} t[] = {
		{ 0x0001, ICE_STUN_REQUEST, 0x001, "0x0001 Binding request" },
		{ 0x0011, ICE_STUN_INDICATION, 0x001,
		    "0x0011 Binding indication" },
		{ 0x0101, ICE_STUN_SUCCESS, 0x001, "0x0101 Binding success" },
		{ 0x0003, ICE_STUN_REQUEST, 0x003, "0x0003 Allocate request" },
		{ 0x0109, ICE_STUN_SUCCESS, 0x009,
		    "0x0109 ChannelBind success" },
		{ 0x3eff, ICE_STUN_INDICATION, 0xfff,
		    "0x3eff indication of method 0xfff" },
	};
	struct ice_stun	 st;
	uint8_t		 m[64], e[8];
	size_t		 i, n;

	for (i = 0; i < nitems(t); i++) {
		memcpy(m, vec_req, 20);
		m[0] = t[i].type >> 8;
		m[1] = t[i].type & 0xff;
		set_len(m, 20);
		check(ice_stun_parse(m, 20, &st) == 0 && st.cls == t[i].cls &&
		    st.method == t[i].method, t[i].what);
	}
	memcpy(m, vec_req, 20);
	m[0] = 0x01;
	m[1] = 0x11;
	set_len(m, 20);
	check(ice_stun_parse(m, 20, &st) == -1,
	    "0x0111 error without ERROR-CODE refused");
	memcpy(e, "\0\0\x04\x57", 4);		/* 487 */
	n = put_attr(m, 20, 0x0009, e, 4);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == 0 && st.cls == ICE_STUN_ERROR &&
	    st.error_code == 487, "0x0111 with ERROR-CODE 487");
	memcpy(e, "\0\0\x07\x01", 4);		/* class 7 */
	n = put_attr(m, 20, 0x0009, e, 4);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1, "ERROR-CODE class 7 refused");
	memcpy(e, "\0\0\x04\x64", 4);		/* number 100 */
	n = put_attr(m, 20, 0x0009, e, 4);
	set_len(m, n);
	check(ice_stun_parse(m, n, &st) == -1,
	    "ERROR-CODE number 100 refused");
}

static void
test_builders(void)
{
	struct ice_stun			 st;
	struct sockaddr_storage		 a;
	uint8_t				 m[ICE_STUN_MAX];
	uint8_t				 tid[ICE_STUN_TID_LEN];
	uint8_t				 tid2[ICE_STUN_TID_LEN];
	size_t				 n;

	ice_stun_tid(tid);
	ice_stun_tid(tid2);
	check(memcmp(tid, tid2, sizeof(tid)) != 0, "two tids differ");

	n = ice_stun_check_request(m, sizeof(m), tid, "rem0:loc0", "rpwd",
	    1694498815, 1, 0x0102030405060708ULL, 1);
	check(n > 0 && ice_stun_parse(m, n, &st) == 0,
	    "check request parses back");
	check(st.cls == ICE_STUN_REQUEST && st.method == ICE_STUN_BINDING &&
	    memcmp(st.tid, tid, sizeof(tid)) == 0 &&
	    strcmp(st.username, "rem0:loc0") == 0 &&
	    st.priority == 1694498815 && st.role == ICE_ROLE_CONTROLLING &&
	    st.tiebreaker == 0x0102030405060708ULL && st.use_candidate &&
	    st.has_integrity, "check request fields");
	check(ice_stun_integrity_ok(m, n, "rpwd") &&
	    !ice_stun_integrity_ok(m, n, "lpwd"),
	    "check request: MI with the remote password");
	check(nice_validate(m, n, "rem0:loc0", "rpwd", 1) ==
	    STUN_VALIDATION_SUCCESS, "check request: FINGERPRINT right");

	n = ice_stun_check_request(m, sizeof(m), tid, "r:l", "p", 5, 0, 9, 0);
	check(n > 0 && ice_stun_parse(m, n, &st) == 0 &&
	    st.role == ICE_ROLE_CONTROLLED && st.tiebreaker == 9 &&
	    !st.use_candidate && strcmp(st.username, "r:l") == 0,
	    "controlled check without USE-CANDIDATE");

	mkaddr(&a, "203.0.113.7", 40211);
	n = ice_stun_check_success(m, sizeof(m), tid, &a, "lpwd");
	check(n > 0 && ice_stun_parse(m, n, &st) == 0 &&
	    st.cls == ICE_STUN_SUCCESS && ice_addr_eq(&st.mapped, &a) &&
	    memcmp(st.tid, tid, sizeof(tid)) == 0 && st.has_integrity,
	    "success response parses back with its address");
	check(ice_stun_integrity_ok(m, n, "lpwd"),
	    "success response: MI with the local password");
	mkaddr(&a, "2001:db8::7", 51820);
	n = ice_stun_check_success(m, sizeof(m), tid, &a, "lpwd");
	check(n > 0 && ice_stun_parse(m, n, &st) == 0 &&
	    ice_addr_eq(&st.mapped, &a), "IPv6 success response");
	memset(&a, 0, sizeof(a));
	check(ice_stun_check_success(m, sizeof(m), tid, &a, "lpwd") == 0,
	    "success without an address family: 0");

	n = ice_stun_check_error(m, sizeof(m), tid, 487, "lpwd");
	check(n > 0 && ice_stun_parse(m, n, &st) == 0 &&
	    st.cls == ICE_STUN_ERROR && st.error_code == 487 &&
	    st.has_integrity && ice_stun_integrity_ok(m, n, "lpwd"),
	    "487 with MI");
	n = ice_stun_check_error(m, sizeof(m), tid, 401, NULL);
	check(n > 0 && ice_stun_parse(m, n, &st) == 0 &&
	    st.error_code == 401 && !st.has_integrity, "401 without MI");
	n = ice_stun_check_error(m, sizeof(m), tid, 400, NULL);
	check(n > 0 && ice_stun_parse(m, n, &st) == 0 &&
	    st.error_code == 400, "400");

	n = ice_stun_binding_request(m, sizeof(m), tid);
	check(n == 28 && ice_stun_parse(m, n, &st) == 0 &&
	    st.cls == ICE_STUN_REQUEST && !st.has_integrity &&
	    st.username[0] == '\0' && st.role == ICE_ROLE_NONE,
	    "plain binding request: header and FINGERPRINT");
}

static void
test_small_buffers(void)
{
	struct sockaddr_storage	 a;
	uint8_t			 m[ICE_STUN_MAX], tid[ICE_STUN_TID_LEN];
	size_t			 n;
	char			 user[600];

	ice_stun_tid(tid);
	mkaddr(&a, "10.0.0.1", 1);
	n = ice_stun_check_request(m, sizeof(m), tid, "a:b", "p", 1, 1, 1, 1);
	check(ice_stun_check_request(m, n, tid, "a:b", "p", 1, 1, 1, 1) == n &&
	    ice_stun_check_request(m, n - 1, tid, "a:b", "p", 1, 1, 1, 1) == 0,
	    "check request: exact buffer, one byte short");
	n = ice_stun_check_success(m, sizeof(m), tid, &a, "p");
	check(ice_stun_check_success(m, n, tid, &a, "p") == n &&
	    ice_stun_check_success(m, n - 1, tid, &a, "p") == 0,
	    "success: exact buffer, one byte short");
	n = ice_stun_check_error(m, sizeof(m), tid, 401, NULL);
	check(ice_stun_check_error(m, n, tid, 401, NULL) == n &&
	    ice_stun_check_error(m, n - 1, tid, 401, NULL) == 0,
	    "error: exact buffer, one byte short");
	check(ice_stun_binding_request(m, 27, tid) == 0 &&
	    ice_stun_binding_request(m, 0, tid) == 0,
	    "binding request: buffer too small");
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	n = ice_stun_check_request(m, sizeof(m), tid, user, "p", 1, 1, 1, 1);
	check(n > 0 && n <= sizeof(m), "599-byte username still fits in "
	    "ICE_STUN_MAX");
}

/*
 * What a NiceAgent (RFC 5245 mode) does with our check: validate it,
 * then answer it with its ICE usage; we read the answer.
 */
static void
test_libnice_accepts_ours(void)
{
	StunAgent			 agent;
	StunMessage			 req, resp;
	StunDefaultValidaterData	 v[2];
	struct ice_stun			 st;
	struct sockaddr_storage		 src;
	uint8_t				 m[ICE_STUN_MAX];
	uint8_t				 r[ICE_STUN_MAX];
	uint8_t				 tid[ICE_STUN_TID_LEN];
	char				 user[] = "NICEufrag:OURufrag";
	char				 pwd[] = "nicepasswordnicepassword";
	size_t				 n, rlen = sizeof(r);
	bool				 control = false;

	ice_stun_tid(tid);
	n = ice_stun_check_request(m, sizeof(m), tid, user, pwd, 1862270975,
	    1, 77, 1);
	memset(v, 0, sizeof(v));
	v[0].username = (uint8_t *)user;
	v[0].username_len = strlen(user);
	v[0].password = (uint8_t *)pwd;
	v[0].password_len = strlen(pwd);
	stun_agent_init(&agent, STUN_ALL_KNOWN_ATTRIBUTES,
	    STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
	    STUN_AGENT_USAGE_USE_FINGERPRINT);
	check(stun_agent_validate(&agent, &req, m, n,
	    stun_agent_default_validater, v) == STUN_VALIDATION_SUCCESS,
	    "libnice's stun_agent_validate accepts our check request");
	check(stun_usage_ice_conncheck_priority(&req) == 1862270975 &&
	    stun_usage_ice_conncheck_use_candidate(&req),
	    "libnice reads our PRIORITY and USE-CANDIDATE");

	mkaddr(&src, "198.51.100.20", 3478);
	check(stun_usage_ice_conncheck_create_reply(&agent, &req, &resp, r,
	    &rlen, &src, sizeof(src), &control, 88,
	    STUN_USAGE_ICE_COMPATIBILITY_RFC5245) ==
	    STUN_USAGE_ICE_RETURN_SUCCESS && rlen > 0,
	    "libnice answers it (controlled, no role conflict)");
	check(ice_stun_parse(r, rlen, &st) == 0 &&
	    st.cls == ICE_STUN_SUCCESS &&
	    memcmp(st.tid, tid, sizeof(tid)) == 0 &&
	    ice_addr_eq(&st.mapped, &src), "we read libnice's answer");
	check(ice_stun_integrity_ok(r, rlen, pwd),
	    "libnice's answer: integrity with the same password");

	/* Both controlling, our tie-breaker smaller: libnice sends 487. */
	control = true;
	rlen = sizeof(r);
	n = ice_stun_check_request(m, sizeof(m), tid, user, pwd, 1, 1, 5, 0);
	check(stun_agent_validate(&agent, &req, m, n,
	    stun_agent_default_validater, v) == STUN_VALIDATION_SUCCESS &&
	    stun_usage_ice_conncheck_create_reply(&agent, &req, &resp, r,
	    &rlen, &src, sizeof(src), &control, 1000,
	    STUN_USAGE_ICE_COMPATIBILITY_RFC5245) ==
	    STUN_USAGE_ICE_RETURN_ROLE_CONFLICT && rlen > 0,
	    "role conflict: libnice answers with an error");
	check(ice_stun_parse(r, rlen, &st) == 0 && st.cls == ICE_STUN_ERROR &&
	    st.error_code == 487, "we read its 487");
}

/*
 * The other way: a NiceAgent's check to us, our answer back to it.
 */
static void
test_we_accept_libnice(void)
{
	StunAgent		 agent;
	StunMessage		 req, resp;
	struct ice_stun		 st;
	struct sockaddr_storage	 a, got;
	socklen_t		 alen = sizeof(got);
	uint8_t			 m[ICE_STUN_MAX], r[ICE_STUN_MAX];
	uint8_t			 user[] = "OURufrag:NICEufrag";
	uint8_t			 pwd[] = "ourpasswordourpasswordourpass";
	size_t			 n, rlen;

	stun_agent_init(&agent, STUN_ALL_KNOWN_ATTRIBUTES,
	    STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
	    STUN_AGENT_USAGE_USE_FINGERPRINT);
	n = stun_usage_ice_conncheck_create(&agent, &req, m, sizeof(m), user,
	    strlen((char *)user), pwd, strlen((char *)pwd), true, true,
	    1694498815, 0xabcdef, NULL, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
	check(n > 0 && ice_stun_parse(m, n, &st) == 0,
	    "we parse libnice's check request");
	check(strcmp(st.username, (char *)user) == 0 &&
	    st.priority == 1694498815 && st.use_candidate &&
	    st.role == ICE_ROLE_CONTROLLING && st.tiebreaker == 0xabcdef,
	    "its USERNAME, PRIORITY, USE-CANDIDATE, ICE-CONTROLLING");
	check(ice_stun_integrity_ok(m, n, (char *)pwd) &&
	    !ice_stun_integrity_ok(m, n, "other"),
	    "its MESSAGE-INTEGRITY checks with our password");

	mkaddr(&a, "192.0.2.99", 51820);
	rlen = ice_stun_check_success(r, sizeof(r), st.tid, &a, (char *)pwd);
	check(rlen > 0 && stun_agent_validate(&agent, &resp, r, rlen, NULL,
	    NULL) == STUN_VALIDATION_SUCCESS,
	    "libnice validates our success response to its transaction");
	check(stun_usage_ice_conncheck_process(&resp, &got, &alen,
	    STUN_USAGE_ICE_COMPATIBILITY_RFC5245) ==
	    STUN_USAGE_ICE_RETURN_SUCCESS && ice_addr_eq(&got, &a),
	    "libnice reads the mapped address we sent");

	n = stun_usage_ice_conncheck_create(&agent, &req, m, sizeof(m), user,
	    strlen((char *)user), pwd, strlen((char *)pwd), false, true,
	    1, 1, NULL, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
	if (ice_stun_parse(m, n, &st) == -1)
		abort();
	rlen = ice_stun_check_error(r, sizeof(r), st.tid, 487, (char *)pwd);
	alen = sizeof(got);
	check(stun_agent_validate(&agent, &resp, r, rlen, NULL, NULL) ==
	    STUN_VALIDATION_SUCCESS &&
	    stun_usage_ice_conncheck_process(&resp, &got, &alen,
	    STUN_USAGE_ICE_COMPATIBILITY_RFC5245) ==
	    STUN_USAGE_ICE_RETURN_ROLE_CONFLICT,
	    "libnice takes our 487 as a role conflict");
}

int
main(void)
{
	test_vectors();
	test_go_style();
	test_after_mi();
	test_truncated();
	test_hostile();
	test_classes();
	test_builders();
	test_small_buffers();
	test_libnice_accepts_ours();
	test_we_accept_libnice();
	return failed;
}
