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
 * netbirdd/ice_turn.c against a TURN server played by hand (turn_fake.c)
 * on 127.0.0.1: the allocation dance and what the requests carry, the
 * framing of Send indications and ChannelData, and hostile answers and
 * data: answers to no request, bad integrity, bad or missing addresses,
 * ChannelData lengths and channels, Data from strangers, 438 loops,
 * silence; failure reported once; refreshes and release.  Then
 * netbirdd/ice_proxy.c.  Built with short timers (see ice_turn.mk).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <stun/stunagent.h>

#include "log.h"
#include "netbirdd.h"
#include "ice.h"
#include "turn_fake.h"

struct proc_env	 penv;

static int	 failed;
static uint8_t	 out[FAKE_DGRAM];

static void	check(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static int	has_string(const StunMessage *, int, const char *);
static int	find32(const StunMessage *, int, uint32_t *);
static struct turn_stats stats(struct fake *);
static int	recv_data(struct fake *);
static long	now_ms(void);
static void	ready_client(struct fake *, const struct sockaddr_storage *);
static void	done(struct fake *);
static void	test_allocate(void);
static void	test_unknown_answers(void);
static void	test_integrity(void);
static void	fail_with(const char *, size_t (*)(struct fake *),
		    const char *);
static size_t	alloc_v6(struct fake *);
static size_t	alloc_family3(struct fake *);
static size_t	alloc_none(struct fake *);
static size_t	alloc_port0(struct fake *);
static size_t	alloc_lifetime0(struct fake *);
static size_t	alloc_unknown_attr(struct fake *);
static size_t	auth_no_nonce(struct fake *);
static size_t	auth_long_realm(struct fake *);
static size_t	answer_300(struct fake *);
static void	test_relayed_checks(void);
static void	test_wrong_password(void);
static void	test_stale_nonce(void);
static void	test_retransmit(void);
static void	test_send(void);
static void	test_channel_input(void);
static size_t	data_ind(struct fake *, int,
		    const struct sockaddr_storage *, const char *);
static void	test_data_input(void);
static void	test_garbage(void);
static void	test_refresh(void);
static void	test_peer_refresh(void);
static void	test_credentials(void);
static void	test_free(void);
static void	proxy_cb(void *, const uint8_t *, size_t);
static void	test_proxy(void);

static void
check(int ok, const char *fmt, ...)
{
	va_list	 ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failed = 1;
}

static int
has_string(const StunMessage *m, int attr, const char *want)
{
	const void	*p;
	uint16_t	 len;

	p = stun_message_find(m, attr, &len);
	return p != NULL && len == strlen(want) && memcmp(p, want, len) == 0;
}

static int
find32(const StunMessage *m, int attr, uint32_t *v)
{
	return stun_message_find32(m, attr, v) == STUN_MESSAGE_RETURN_SUCCESS;
}

static struct turn_stats
stats(struct fake *f)
{
	struct turn_stats	 st;

	turn_client_stats(f->c, &st);
	return st;
}

/* The next datagram that is not a request (retransmissions skipped). */
static int
recv_data(struct fake *f)
{
	while (fake_recv(f, 1000))
		if (fake_method(f) == -1)
			return 1;
	return 0;
}

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
ready_client(struct fake *f, const struct sockaddr_storage *relayed)
{
	fake_init(f);
	if (fake_client(f, FAKE_USER, FAKE_PASS) == NULL ||
	    fake_allocate(f, relayed) == -1)
		errx(1, "%s: no allocation", __func__);
}

static void
done(struct fake *f)
{
	turn_client_free(f->c);
	f->c = NULL;
	fake_close(f);
}

static void
test_allocate(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed;
	uint32_t		 v = 0;
	size_t			 n;

	fake_init(&f);
	fake_sin(&relayed, "192.0.2.7", 50000);
	check(fake_client(&f, FAKE_USER, FAKE_PASS) != NULL, "client made");
	check(fake_recv(&f, 1000) && fake_method(&f) == STUN_ALLOCATE,
	    "Allocate first");
	check(f.status == STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST &&
	    !stun_message_has_attribute(&f.req, STUN_ATTRIBUTE_USERNAME),
	    "the first Allocate carries no credentials");
	check(find32(&f.req, STUN_ATTRIBUTE_REQUESTED_TRANSPORT, &v) &&
	    v == 17U << 24, "REQUESTED-TRANSPORT is UDP");
	check(find32(&f.req, STUN_ATTRIBUTE_LIFETIME, &v) && v == 600,
	    "LIFETIME 600");
	check(stun_message_has_attribute(&f.req, STUN_ATTRIBUTE_FINGERPRINT),
	    "FINGERPRINT");
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
	fake_send(&f, out, n);
	check(fake_recv(&f, 1000) && fake_method(&f) == STUN_ALLOCATE &&
	    f.status == STUN_VALIDATION_SUCCESS,
	    "after 401, Allocate with MESSAGE-INTEGRITY the server accepts");
	check(has_string(&f.req, STUN_ATTRIBUTE_USERNAME, FAKE_USER) &&
	    has_string(&f.req, STUN_ATTRIBUTE_REALM, FAKE_REALM) &&
	    has_string(&f.req, STUN_ATTRIBUTE_NONCE, "nonce-1"),
	    "USERNAME, REALM and NONCE from the 401");
	check(f.nready == 0, "not ready before the success");
	n = fake_allocated(&f, out, sizeof(out), &relayed, &f.client, 600);
	fake_send(&f, out, n);
	fake_pump();
	check(f.nready == 1 && f.nfailed == 0, "ready once");
	check(memcmp(&f.relayed, &relayed, sizeof(struct sockaddr_in)) == 0,
	    "relayed address from XOR-RELAYED-ADDRESS");
	check(memcmp(&f.mapped, &f.client, sizeof(struct sockaddr_in)) == 0,
	    "server-reflexive address from XOR-MAPPED-ADDRESS");
	fake_send(&f, out, n);
	fake_pump();
	check(f.nready == 1 && stats(&f).rx_drops == 1,
	    "the same success again: dropped");
	done(&f);
}

static void
test_unknown_answers(void)
{
	struct fake	 f;
	uint8_t		 tid[12];
	size_t		 n;

	fake_init(&f);
	fake_client(&f, FAKE_USER, FAKE_PASS);
	fake_recv(&f, 1000);
	memcpy(tid, f.in + 8, sizeof(tid));
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
	out[19] ^= 1;
	fake_send(&f, out, n);
	fake_pump();
	check(stats(&f).rx_drops == 1, "a 401 to no request: dropped");
	check(fake_recv(&f, 1000) && memcmp(f.in + 8, tid, sizeof(tid)) == 0 &&
	    f.status == STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST,
	    "and the first Allocate is sent again, unchanged");
	done(&f);
}

static void
test_integrity(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed;
	StunMessage		 m;
	size_t			 n;

	fake_init(&f);
	fake_sin(&relayed, "192.0.2.7", 50000);
	fake_client(&f, FAKE_USER, FAKE_PASS);
	fake_recv(&f, 1000);
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
	fake_send(&f, out, n);
	fake_recv(&f, 1000);

	n = fake_allocated(&f, out, sizeof(out), &relayed, &f.client, 600);
	out[27] ^= 0x40;	/* in XOR-RELAYED-ADDRESS, under the HMAC */
	fake_send(&f, out, n);
	fake_pump();
	check(f.nready == 0 && stats(&f).rx_drops == 1,
	    "a success with a wrong MESSAGE-INTEGRITY: dropped");

	fake_answer(&f, &m, out, sizeof(out), STUN_RESPONSE, 0);
	stun_message_append_xor_addr(&m, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
	    &relayed, sizeof(struct sockaddr_in));
	n = fake_finish(&f, &m, 0);
	fake_send(&f, out, n);
	fake_pump();
	check(f.nready == 0 && stats(&f).rx_drops == 2,
	    "a success without MESSAGE-INTEGRITY: dropped");

	n = fake_allocated(&f, out, sizeof(out), &relayed, &f.client, 600);
	fake_send(&f, out, n);
	fake_pump();
	check(f.nready == 1, "then the right one is taken");
	done(&f);
}

/*
 * A client whose authenticated Allocate gets what build() makes: it
 * fails once, with a reason that has want in it, and sends nothing more.
 */
static void
fail_with(const char *what, size_t (*build)(struct fake *),
    const char *want)
{
	struct fake	 f;
	size_t		 n;
	int		 quiet;

	fake_init(&f);
	fake_client(&f, FAKE_USER, FAKE_PASS);
	fake_recv(&f, 1000);
	if (build != auth_no_nonce && build != auth_long_realm) {
		n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
		fake_send(&f, out, n);
		fake_recv(&f, 1000);
	}
	n = build(&f);
	fake_send(&f, out, n);
	fake_pump();
	fake_send(&f, out, n);
	fake_wait(300);
	quiet = !fake_recv(&f, 0);
	check(f.nfailed == 1 && f.nready == 0 && strstr(f.why, want) != NULL &&
	    quiet, "%s: fails once (%s), then silence", what, f.why);
	done(&f);
}

static size_t
alloc_v6(struct fake *f)
{
	struct sockaddr_in6	*sin6;
	struct sockaddr_storage	 ss;
	StunMessage		 m;

	memset(&ss, 0, sizeof(ss));
	sin6 = (struct sockaddr_in6 *)&ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(50000);
	inet_pton(AF_INET6, "2001:db8::7", &sin6->sin6_addr);
	fake_answer(f, &m, out, sizeof(out), STUN_RESPONSE, 0);
	stun_message_append_xor_addr(&m, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
	    &ss, sizeof(*sin6));
	return fake_finish(f, &m, 1);
}

static size_t
alloc_family3(struct fake *f)
{
	StunMessage	 m;
	uint8_t		 a[8] = { 0, 3, 0x12, 0x34, 1, 2, 3, 4 };

	fake_answer(f, &m, out, sizeof(out), STUN_RESPONSE, 0);
	stun_message_append_bytes(&m, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, a,
	    sizeof(a));
	return fake_finish(f, &m, 1);
}

static size_t
alloc_none(struct fake *f)
{
	StunMessage	 m;

	fake_answer(f, &m, out, sizeof(out), STUN_RESPONSE, 0);
	stun_message_append32(&m, STUN_ATTRIBUTE_LIFETIME, 600);
	return fake_finish(f, &m, 1);
}

static size_t
alloc_port0(struct fake *f)
{
	struct sockaddr_storage	 ss;

	fake_sin(&ss, "192.0.2.7", 0);
	return fake_allocated(f, out, sizeof(out), &ss, &f->client, 600);
}

static size_t
alloc_lifetime0(struct fake *f)
{
	struct sockaddr_storage	 ss;

	fake_sin(&ss, "192.0.2.7", 50000);
	return fake_allocated(f, out, sizeof(out), &ss, &f->client, 0);
}

static size_t
alloc_unknown_attr(struct fake *f)
{
	struct sockaddr_storage	 ss;
	StunMessage		 m;

	fake_sin(&ss, "192.0.2.7", 50000);
	fake_answer(f, &m, out, sizeof(out), STUN_RESPONSE, 0);
	stun_message_append_xor_addr(&m, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
	    &ss, sizeof(struct sockaddr_in));
	stun_message_append32(&m, 0x7777, 1);
	return fake_finish(f, &m, 1);
}

static size_t
auth_no_nonce(struct fake *f)
{
	StunMessage	 m;

	fake_answer(f, &m, out, sizeof(out), STUN_ERROR, 401);
	stun_message_append_string(&m, STUN_ATTRIBUTE_REALM, FAKE_REALM);
	return fake_finish(f, &m, 0);
}

static size_t
auth_long_realm(struct fake *f)
{
	StunMessage	 m;
	char		 realm[801];

	memset(realm, 'r', sizeof(realm) - 1);
	realm[sizeof(realm) - 1] = '\0';
	fake_answer(f, &m, out, sizeof(out), STUN_ERROR, 401);
	stun_message_append_string(&m, STUN_ATTRIBUTE_REALM, realm);
	stun_message_append_string(&m, STUN_ATTRIBUTE_NONCE, "n");
	return fake_finish(f, &m, 0);
}

static size_t
answer_300(struct fake *f)
{
	StunMessage	 m;

	fake_answer(f, &m, out, sizeof(out), STUN_ERROR, 300);
	return fake_finish(f, &m, 1);
}

static void
test_relayed_checks(void)
{
	fail_with("XOR-RELAYED-ADDRESS IPv6", alloc_v6,
	    "unusable relayed address");
	fail_with("XOR-RELAYED-ADDRESS family 3", alloc_family3,
	    "no valid XOR-RELAYED-ADDRESS");
	fail_with("no XOR-RELAYED-ADDRESS", alloc_none,
	    "no valid XOR-RELAYED-ADDRESS");
	fail_with("relayed port 0", alloc_port0, "unusable relayed address");
	fail_with("LIFETIME 0", alloc_lifetime0, "lifetime of 0");
	fail_with("an unknown required attribute", alloc_unknown_attr,
	    "unknown required attributes");
	fail_with("401 without NONCE", auth_no_nonce,
	    "401 without a usable REALM and NONCE");
	fail_with("401 with an 800-byte REALM", auth_long_realm,
	    "401 without a usable REALM and NONCE");
	fail_with("300 Try Alternate", answer_300, "Allocate: 300");
}

static void
test_wrong_password(void)
{
	struct fake	 f;
	size_t		 n;

	fake_init(&f);
	f.free_on_fail = 1;
	fake_client(&f, FAKE_USER, "not-the-password");
	fake_recv(&f, 1000);
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
	fake_send(&f, out, n);
	check(fake_recv(&f, 1000) &&
	    f.status == STUN_VALIDATION_UNAUTHORIZED,
	    "wrong password: the server finds MESSAGE-INTEGRITY wrong");
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-2");
	fake_send(&f, out, n);
	fake_wait(200);
	check(f.nfailed == 1 && strstr(f.why, "401") != NULL &&
	    f.c == NULL, "401 to credentials: failed once (%s), freed in "
	    "the callback", f.why);
	check(!fake_recv(&f, 100), "and nothing more is sent");
	fake_close(&f);
}

static void
test_stale_nonce(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed;
	size_t			 n;
	int			 i, ok = 1;

	fake_init(&f);
	fake_sin(&relayed, "192.0.2.7", 50000);
	fake_client(&f, FAKE_USER, FAKE_PASS);
	fake_recv(&f, 1000);
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
	fake_send(&f, out, n);
	fake_recv(&f, 1000);
	n = fake_auth_error(&f, out, sizeof(out), 438, "nonce-2");
	fake_send(&f, out, n);
	check(fake_recv(&f, 1000) && fake_method(&f) == STUN_ALLOCATE &&
	    f.status == STUN_VALIDATION_SUCCESS &&
	    has_string(&f.req, STUN_ATTRIBUTE_NONCE, "nonce-2"),
	    "438: Allocate again with the new NONCE");
	n = fake_allocated(&f, out, sizeof(out), &relayed, &f.client, 600);
	fake_send(&f, out, n);
	fake_pump();
	check(f.nready == 1 && stats(&f).stale_nonces == 1,
	    "then ready; the stale nonce counted");
	done(&f);

	fake_init(&f);
	fake_client(&f, FAKE_USER, FAKE_PASS);
	fake_recv(&f, 1000);
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
	fake_send(&f, out, n);
	for (i = 0; i < 3 && f.nfailed == 0; i++) {
		ok = ok && fake_recv(&f, 1000);
		n = fake_auth_error(&f, out, sizeof(out), 438, "nonce-x");
		fake_send(&f, out, n);
		fake_pump();
	}
	check(ok && f.nfailed == 1 && strstr(f.why, "438 again") != NULL,
	    "438 after 438 after 438: fails once (%s)", f.why);
	done(&f);
}

static void
test_retransmit(void)
{
	struct fake	 f;
	uint8_t		 tid[12];
	int		 n = 0, same = 1;

	fake_init(&f);
	fake_client(&f, FAKE_USER, FAKE_PASS);
	while (fake_recv(&f, 300)) {
		if (n++ == 0)
			memcpy(tid, f.in + 8, sizeof(tid));
		else if (memcmp(tid, f.in + 8, sizeof(tid)) != 0)
			same = 0;
	}
	check(n == 7 && same, "no answer: the Allocate is sent 7 times "
	    "(%d), same transaction", n);
	check(f.nfailed == 1 && strstr(f.why, "no answer") != NULL,
	    "then failed once (%s)", f.why);
	check(stats(&f).retransmits == 6, "6 retransmissions counted");
	done(&f);
}

static void
test_send(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed, peer, other, got;
	socklen_t		 glen = sizeof(got);
	const void		*d;
	uint16_t		 dlen;
	uint32_t		 ch = 0;
	size_t			 n;
	static const uint8_t	 cd[] = { 0x40, 0x00, 0x00, 0x05,
	    'h', 'e', 'l', 'l', 'o' };
	static uint8_t		 big[65001];

	fake_sin(&relayed, "192.0.2.7", 50000);
	fake_sin(&peer, "198.51.100.9", 40000);
	fake_sin(&other, "198.51.100.9", 40001);
	ready_client(&f, &relayed);
	check(turn_client_send(f.c, &peer, "x", 1) == -1,
	    "send to a peer without permission: refused");
	check(fake_permit(&f, &peer, 0) == 0,
	    "permit: CreatePermission and ChannelBind at once");
	check(find32(&f.req, STUN_ATTRIBUTE_CHANNEL_NUMBER, &ch) &&
	    ch == 0x4000U << 16 && f.status == STUN_VALIDATION_SUCCESS,
	    "ChannelBind for channel 0x4000, authenticated");
	check(turn_client_permit(f.c, &peer) == 0 && !fake_recv(&f, 0),
	    "permit again: nothing new");

	check(turn_client_send(f.c, &peer, "hello", 5) == 0 &&
	    recv_data(&f) && f.is_stun &&
	    stun_message_get_class(&f.req) == STUN_INDICATION &&
	    stun_message_get_method(&f.req) == STUN_IND_SEND,
	    "before the bind: a Send indication");
	memset(&got, 0, sizeof(got));
	d = stun_message_find(&f.req, STUN_ATTRIBUTE_DATA, &dlen);
	check(stun_message_find_xor_addr(&f.req,
	    STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &got, &glen) ==
	    STUN_MESSAGE_RETURN_SUCCESS &&
	    memcmp(&got, &peer, sizeof(struct sockaddr_in)) == 0 &&
	    d != NULL && dlen == 5 && memcmp(d, "hello", 5) == 0,
	    "with XOR-PEER-ADDRESS and DATA");
	check(turn_client_send(f.c, &other, "x", 1) == -1,
	    "send to another port of the peer: refused");
	check(turn_client_send(f.c, &peer, big, sizeof(big)) == -1,
	    "send of 65001 bytes: refused");

	/* Answer the ChannelBind now: its retransmission will do. */
	n = 0;
	while (fake_recv(&f, 100))
		if (fake_method(&f) == STUN_CHANNELBIND) {
			n = fake_ok(&f, out, sizeof(out));
			break;
		}
	fake_send(&f, out, n);
	fake_pump();
	check(stats(&f).channel_binds == 1, "ChannelBind answered");
	fake_drain(&f);
	check(turn_client_send(f.c, &peer, "hello", 5) == 0 &&
	    recv_data(&f) && f.inlen == sizeof(cd) &&
	    memcmp(f.in, cd, sizeof(cd)) == 0,
	    "after the bind: ChannelData 40 00 00 05 hello, unpadded");
	check(stats(&f).tx_send == 1 && stats(&f).tx_chan == 1 &&
	    stats(&f).tx_bytes == 10, "counters: 1 indication, 1 ChannelData");
	done(&f);

	fake_init(&f);
	fake_client(&f, FAKE_USER, FAKE_PASS);
	fake_sin(&other, "0.0.0.0", 1);
	check(turn_client_permit(f.c, &other) == -1, "permit 0.0.0.0: refused");
	fake_sin(&other, "198.51.100.9", 0);
	check(turn_client_permit(f.c, &other) == -1, "permit port 0: refused");
	memset(&other, 0, sizeof(other));
	other.ss_family = AF_INET6;
	check(turn_client_permit(f.c, &other) == -1, "permit IPv6: refused");
	check(turn_client_permit(f.c, &peer) == 0, "permit while allocating");
	check(turn_client_send(f.c, &peer, "x", 1) == -1,
	    "send while allocating: refused");
	fake_recv(&f, 1000);
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
	fake_send(&f, out, n);
	fake_recv(&f, 1000);
	n = fake_allocated(&f, out, sizeof(out), &relayed, &f.client, 600);
	fake_send(&f, out, n);
	check(fake_recv(&f, 1000) && fake_method(&f) == STUN_CREATEPERMISSION &&
	    fake_recv(&f, 1000) && fake_method(&f) == STUN_CHANNELBIND,
	    "a peer permitted while allocating gets its requests once ready");
	done(&f);
}

static void
test_channel_input(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed, peer;
	uint8_t			 d[32];
	uint64_t		 drops;

	fake_sin(&relayed, "192.0.2.7", 50000);
	fake_sin(&peer, "198.51.100.9", 40000);
	ready_client(&f, &relayed);
	fake_permit(&f, &peer, 1);

	memset(d, 'z', sizeof(d));
	memcpy(d, "\x40\x00\x00\x03" "abc", 7);
	fake_send(&f, d, 7);
	fake_pump();
	check(f.nrecv == 1 && f.datalen == 3 && memcmp(f.data, "abc", 3) == 0 &&
	    memcmp(&f.from, &peer, sizeof(struct sockaddr_in)) == 0,
	    "ChannelData on our channel: delivered, from the peer");
	fake_send(&f, d, 8);
	fake_pump();
	check(f.nrecv == 2 && f.datalen == 3, "with 1 byte of padding: "
	    "delivered");
	drops = stats(&f).rx_drops;
	fake_send(&f, d, 11);
	fake_pump();
	check(f.nrecv == 2 && stats(&f).rx_drops == drops + 1,
	    "with 4 bytes after it: dropped");
	memcpy(d, "\x40\x00\x00\x20", 4);
	fake_send(&f, d, 20);
	fake_pump();
	check(f.nrecv == 2 && stats(&f).rx_drops == drops + 2,
	    "length 32 in a 20-byte datagram: dropped");
	memcpy(d, "\x40\x00\xff\xff", 4);
	fake_send(&f, d, 4);
	fake_pump();
	check(f.nrecv == 2 && stats(&f).rx_drops == drops + 3,
	    "length 65535 in a 4-byte datagram: dropped");
	memcpy(d, "\x40\x01\x00\x03", 4);
	fake_send(&f, d, 7);
	fake_pump();
	check(f.nrecv == 2 && stats(&f).rx_drops == drops + 4,
	    "channel 0x4001 (not ours): dropped");
	memcpy(d, "\x7f\xff\x00\x03", 4);
	fake_send(&f, d, 7);
	fake_pump();
	check(f.nrecv == 2 && stats(&f).rx_drops == drops + 5,
	    "channel 0x7fff: dropped");
	memcpy(d, "\x80\x00\x00\x03", 4);
	fake_send(&f, d, 7);
	fake_pump();
	check(f.nrecv == 2 && stats(&f).rx_drops == drops + 6,
	    "first bits 10: dropped");
	memcpy(d, "\x40\x00", 2);
	fake_send(&f, d, 3);
	fake_pump();
	check(f.nrecv == 2 && stats(&f).rx_drops == drops + 7,
	    "3 bytes: dropped");
	memcpy(d, "\x40\x00\x00\x00", 4);
	fake_send(&f, d, 4);
	fake_pump();
	check(f.nrecv == 3 && f.datalen == 0, "empty ChannelData: delivered");
	check(stats(&f).rx_chan == 3 && stats(&f).rx_bytes == 6,
	    "counters: 3 ChannelData, 6 bytes");
	done(&f);
}

/* A Data indication (or another method) with what is asked for. */
static size_t
data_ind(struct fake *f, int method, const struct sockaddr_storage *from,
    const char *data)
{
	StunMessage	 m;

	if (!stun_agent_init_indication(&f->agent, &m, out, sizeof(out),
	    method))
		errx(1, "%s", __func__);
	if (from != NULL)
		stun_message_append_xor_addr(&m,
		    STUN_ATTRIBUTE_XOR_PEER_ADDRESS, from,
		    sizeof(struct sockaddr_in));
	if (data != NULL)
		stun_message_append_bytes(&m, STUN_ATTRIBUTE_DATA, data,
		    strlen(data));
	return stun_agent_finish_message(&f->agent, &m, NULL, 0);
}

static void
test_data_input(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed, peer, port2, stranger;
	StunMessage		 m;
	uint8_t			 a[8] = { 0, 3, 0x12, 0x34, 1, 2, 3, 4 };
	size_t			 n;

	fake_sin(&relayed, "192.0.2.7", 50000);
	fake_sin(&peer, "198.51.100.9", 40000);
	fake_sin(&port2, "198.51.100.9", 40002);
	fake_sin(&stranger, "203.0.113.1", 40000);

	fake_init(&f);
	fake_client(&f, FAKE_USER, FAKE_PASS);
	fake_recv(&f, 1000);
	n = data_ind(&f, STUN_IND_DATA, &peer, "early");
	fake_send(&f, out, n);
	fake_pump();
	check(f.nrecv == 0 && stats(&f).rx_drops == 1,
	    "Data before the allocation: dropped");
	done(&f);

	ready_client(&f, &relayed);
	fake_permit(&f, &peer, 1);
	n = data_ind(&f, STUN_IND_DATA, &peer, "data");
	fake_send(&f, out, n);
	fake_pump();
	check(f.nrecv == 1 && f.datalen == 4 &&
	    memcmp(f.data, "data", 4) == 0 &&
	    memcmp(&f.from, &peer, sizeof(struct sockaddr_in)) == 0,
	    "Data from the peer: delivered");
	n = data_ind(&f, STUN_IND_DATA, &port2, "port2");
	fake_send(&f, out, n);
	fake_pump();
	check(f.nrecv == 2 &&
	    memcmp(&f.from, &port2, sizeof(struct sockaddr_in)) == 0,
	    "Data from another port of the peer's address: delivered, "
	    "from there");
	n = data_ind(&f, STUN_IND_DATA, &stranger, "who");
	fake_send(&f, out, n);
	fake_pump();
	check(f.nrecv == 2, "Data from an address without permission: "
	    "dropped");
	n = data_ind(&f, STUN_IND_DATA, &peer, NULL);
	fake_send(&f, out, n);
	fake_pump();
	check(f.nrecv == 2, "Data without DATA: dropped");
	n = data_ind(&f, STUN_IND_DATA, NULL, "nopeer");
	fake_send(&f, out, n);
	fake_pump();
	check(f.nrecv == 2, "Data without XOR-PEER-ADDRESS: dropped");
	n = data_ind(&f, STUN_IND_SEND, &peer, "send");
	fake_send(&f, out, n);
	fake_pump();
	check(f.nrecv == 2, "a Send indication from the server: dropped");

	stun_agent_init_indication(&f.agent, &m, out, sizeof(out),
	    STUN_IND_DATA);
	stun_message_append_bytes(&m, STUN_ATTRIBUTE_XOR_PEER_ADDRESS, a,
	    sizeof(a));
	stun_message_append_bytes(&m, STUN_ATTRIBUTE_DATA, "fam", 3);
	n = stun_agent_finish_message(&f.agent, &m, NULL, 0);
	fake_send(&f, out, n);
	fake_pump();
	check(f.nrecv == 2, "XOR-PEER-ADDRESS of family 3: dropped");
	check(stats(&f).rx_drops == 5 && stats(&f).rx_data == 2,
	    "counters: 2 delivered, 5 dropped");
	done(&f);
}

static void
test_garbage(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed, peer;
	StunMessage		 m;
	uint8_t			 junk[3000];
	uint64_t		 drops;
	size_t			 i, n;

	fake_sin(&relayed, "192.0.2.7", 50000);
	fake_sin(&peer, "198.51.100.9", 40000);
	ready_client(&f, &relayed);
	fake_permit(&f, &peer, 1);
	drops = stats(&f).rx_drops;
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = i * 7 + 3;
	junk[0] = 0x01;
	fake_send(&f, junk, 100);
	fake_send(&f, junk, 3);
	fake_send(&f, junk, 0);
	/* A STUN header saying 2980 bytes follow: too long for us. */
	memcpy(junk, "\x01\x01\x0b\xa4\x21\x12\xa4\x42", 8);
	fake_send(&f, junk, 3000);
	/* A header with a length past the datagram. */
	memcpy(junk, "\x01\x01\x00\x40\x21\x12\xa4\x42", 8);
	fake_send(&f, junk, 40);
	/* A request from the server. */
	stun_agent_init_request(&f.agent, &m, out, sizeof(out), STUN_BINDING);
	n = stun_agent_finish_message(&f.agent, &m, NULL, 0);
	fake_send(&f, out, n);
	fake_pump();
	check(stats(&f).rx_drops == drops + 6 && f.nrecv == 0 &&
	    f.nfailed == 0, "junk, short, empty, oversized, truncated STUN, "
	    "a request: all dropped, the client lives");
	check(turn_client_send(f.c, &peer, "still", 5) == 0,
	    "and still sends");
	done(&f);
}

static void
test_refresh(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed;
	StunMessage		 m;
	uint32_t		 v = 1;
	size_t			 n;

	fake_init(&f);
	fake_sin(&relayed, "192.0.2.7", 50000);
	fake_client(&f, FAKE_USER, FAKE_PASS);
	fake_recv(&f, 1000);
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
	fake_send(&f, out, n);
	fake_recv(&f, 1000);
	n = fake_allocated(&f, out, sizeof(out), &relayed, &f.client, 2);
	fake_send(&f, out, n);
	fake_pump();
	check(!fake_recv(&f, 800), "lifetime 2 s: no Refresh before 1 s");
	check(fake_recv(&f, 500) && fake_method(&f) == STUN_REFRESH &&
	    f.status == STUN_VALIDATION_SUCCESS &&
	    find32(&f.req, STUN_ATTRIBUTE_LIFETIME, &v) && v == 600,
	    "Refresh after 1 s, authenticated, LIFETIME 600");
	n = fake_auth_error(&f, out, sizeof(out), 438, "nonce-3");
	fake_send(&f, out, n);
	check(fake_recv(&f, 500) && fake_method(&f) == STUN_REFRESH &&
	    has_string(&f.req, STUN_ATTRIBUTE_NONCE, "nonce-3"),
	    "438 to the Refresh: again with the new NONCE");
	fake_answer(&f, &m, out, sizeof(out), STUN_RESPONSE, 0);
	stun_message_append32(&m, STUN_ATTRIBUTE_LIFETIME, 2);
	n = fake_finish(&f, &m, 1);
	fake_send(&f, out, n);
	fake_pump();
	check(stats(&f).refreshes == 1 && f.nfailed == 0, "Refresh answered");
	check(fake_recv(&f, 1500) && fake_method(&f) == STUN_REFRESH,
	    "the next one a second later");
	fake_answer(&f, &m, out, sizeof(out), STUN_ERROR, 437);
	n = fake_finish(&f, &m, 1);
	fake_send(&f, out, n);
	fake_pump();
	check(f.nfailed == 1 && strstr(f.why, "Refresh: 437") != NULL,
	    "437 to a Refresh: the allocation has failed (%s)", f.why);
	done(&f);
}

static void
test_peer_refresh(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed, peer;
	long			 end;
	int			 perm = 0, chan = 0;

	fake_sin(&relayed, "192.0.2.7", 50000);
	fake_sin(&peer, "198.51.100.9", 40000);
	ready_client(&f, &relayed);
	fake_permit(&f, &peer, 1);
	/* This build: permissions every 1 s, channels every 2 s. */
	end = now_ms() + 2500;
	while (now_ms() < end) {
		if (!fake_recv(&f, end - now_ms()))
			break;
		if (fake_method(&f) == STUN_CREATEPERMISSION)
			perm++;
		if (fake_method(&f) == STUN_CHANNELBIND)
			chan++;
		fake_send(&f, out, fake_ok(&f, out, sizeof(out)));
	}
	check(perm == 2 && chan == 1, "in 2.5 s, permission refreshed every "
	    "second (%d), channel after two (%d)", perm, chan);
	check(stats(&f).permissions == 3 && stats(&f).channel_binds == 2,
	    "each answer counted");
	done(&f);
}

static void
test_credentials(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed;
	size_t			 n;

	fake_init(&f);
	fake_sin(&relayed, "192.0.2.7", 50000);
	fake_client(&f, "old-user", "old-pass");
	fake_recv(&f, 1000);
	turn_client_credentials(f.c, FAKE_USER, FAKE_PASS);
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
	fake_send(&f, out, n);
	check(fake_recv(&f, 1000) && f.status == STUN_VALIDATION_SUCCESS &&
	    has_string(&f.req, STUN_ATTRIBUTE_USERNAME, FAKE_USER),
	    "new credentials while allocating: the next Allocate has them");
	n = fake_allocated(&f, out, sizeof(out), &relayed, &f.client, 2);
	fake_send(&f, out, n);
	fake_pump();
	turn_client_credentials(f.c, "new-user", "new-pass");
	check(fake_recv(&f, 1500) && fake_method(&f) == STUN_REFRESH &&
	    f.status == STUN_VALIDATION_SUCCESS &&
	    has_string(&f.req, STUN_ATTRIBUTE_USERNAME, FAKE_USER),
	    "new credentials once allocated: the allocation's stay");
	done(&f);
}

static void
test_free(void)
{
	struct fake		 f;
	struct sockaddr_storage	 relayed;
	uint32_t		 v = 1;

	fake_sin(&relayed, "192.0.2.7", 50000);
	ready_client(&f, &relayed);
	turn_client_free(f.c);
	f.c = NULL;
	check(fake_recv(&f, 500) && fake_method(&f) == STUN_REFRESH &&
	    f.status == STUN_VALIDATION_SUCCESS &&
	    find32(&f.req, STUN_ATTRIBUTE_LIFETIME, &v) && v == 0,
	    "free: Refresh with LIFETIME 0");
	fake_send(&f, out, fake_ok(&f, out, sizeof(out)));
	fake_wait(100);
	check(!fake_recv(&f, 0), "then nothing");
	fake_close(&f);

	fake_init(&f);
	fake_client(&f, FAKE_USER, FAKE_PASS);
	turn_client_free(f.c);
	f.c = NULL;
	fake_recv(&f, 100);
	check(!fake_recv(&f, 200), "free while allocating: no Refresh, no "
	    "retransmission");
	fake_close(&f);
}

static int	 proxy_n;
static uint8_t	 proxy_data[16];
static struct ice_proxy *proxy_to_free;

static void
proxy_cb(void *arg, const uint8_t *p, size_t len)
{
	(void)arg;
	proxy_n++;
	memcpy(proxy_data, p, MINIMUM(len, sizeof(proxy_data)));
	if (proxy_to_free != NULL) {
		ice_proxy_free(proxy_to_free);
		proxy_to_free = NULL;
	}
}

static void
test_proxy(void)
{
	struct sockaddr_storage	 wg, pa;
	struct sockaddr_in	*w = (struct sockaddr_in *)&wg;
	struct ice_proxy	*p;
	struct ice_proxy_stats	 st;
	socklen_t		 len = sizeof(wg);
	char			 buf[16];
	int			 fd;

	check(ice_proxy_new(0, proxy_cb, NULL) == NULL, "proxy to port 0: "
	    "refused");
	fake_sin(&wg, "127.0.0.1", 0);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)w, sizeof(*w)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&wg, &len) == -1)
		err(1, "wg socket");
	p = ice_proxy_new(ntohs(w->sin_port), proxy_cb, NULL);
	ice_proxy_addr(p, &pa);
	check(p != NULL && pa.ss_family == AF_INET &&
	    ((struct sockaddr_in *)&pa)->sin_addr.s_addr ==
	    htonl(INADDR_LOOPBACK) && ((struct sockaddr_in *)&pa)->sin_port,
	    "proxy on 127.0.0.1 and a port");
	sendto(fd, "wg1", 3, 0, (struct sockaddr *)&pa, sizeof(*w));
	fake_wait(50);
	check(proxy_n == 1 && memcmp(proxy_data, "wg1", 3) == 0,
	    "WireGuard's datagram to the callback");
	check(ice_proxy_deliver(p, (const uint8_t *)"in", 2) == 0 &&
	    recv(fd, buf, sizeof(buf), 0) == 2 && memcmp(buf, "in", 2) == 0,
	    "delivered to WireGuard");
	ice_proxy_stats(p, &st);
	check(st.from_wg == 1 && st.to_wg == 1 && st.from_wg_bytes == 3 &&
	    st.to_wg_bytes == 2 && st.drops == 0, "counters");
	proxy_to_free = p;
	sendto(fd, "wg2", 3, 0, (struct sockaddr *)&pa, sizeof(*w));
	sendto(fd, "wg3", 3, 0, (struct sockaddr *)&pa, sizeof(*w));
	fake_wait(50);
	check(proxy_n == 2, "freed in its callback: nothing more read");
	close(fd);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, LOG_DAEMON);
	if ((penv.evbase = event_base_new()) == NULL)
		errx(1, "event_base_new");
	test_allocate();
	test_unknown_answers();
	test_integrity();
	test_relayed_checks();
	test_wrong_password();
	test_stale_nonce();
	test_retransmit();
	test_send();
	test_channel_input();
	test_data_input();
	test_garbage();
	test_refresh();
	test_peer_refresh();
	test_credentials();
	test_free();
	test_proxy();
	return failed;
}
