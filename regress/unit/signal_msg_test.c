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
 * Unit tests for netbirdd/signal_msg.c and netbirdd/box.c: the exact
 * bytes of every Body signal sends (protocol.md 4.4, 4.9), decoding
 * with hostile inputs (garbage, truncation, unknown types, strings too
 * long or not printable, credentials that are not ufrag:pwd, ports out
 * of range, optional fields of the wrong length), the checks on what
 * ice asks to send, and the EncryptedMessage envelope: sealed with a
 * precomputed key, opened by the receiver, refused when tampered with,
 * and the same box as libsodium's crypto_box_easy (Go's nacl/box).
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "box.h"
#include "signal_msg.h"

static int	 failed;

static void	 check(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static int	 bytes_are(const uint8_t *, size_t, const char *, size_t);
static void	 offer(struct nbd_signal_msg *);
static const char *decode_raw(const char *, size_t, struct nbd_signal_msg *);
static const char *decode_body(Signalexchange__Body *,
		    struct nbd_signal_msg *);
static void	 test_encode(void);
static void	 test_roundtrip(void);
static void	 test_decode_hostile(void);
static void	 test_decode_lengths(void);
static void	 test_decode_optional(void);
static void	 test_invalid(void);
static void	 test_seal_open(void);
static void	 test_envelope_hostile(void);
static void	 test_box_interop(void);

static void
check(int ok, const char *fmt, ...)
{
	va_list	ap;

	printf("%s - signal_msg: ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failed = 1;
}

static int
bytes_are(const uint8_t *got, size_t gotlen, const char *want, size_t len)
{
	size_t	i;

	if (gotlen == len && memcmp(got, want, len) == 0)
		return 1;
	printf("# got %zu bytes:", gotlen);
	for (i = 0; i < gotlen; i++)
		printf(" %02x", got[i]);
	printf("\n");
	return 0;
}

/* An OFFER with every field set. */
static void
offer(struct nbd_signal_msg *m)
{
	memset(m, 0, sizeof(*m));
	memset(m->peer.key, 0x11, sizeof(m->peer.key));
	m->type = NBD_SIG_OFFER;
	m->wg_port = 51820;
	strlcpy(m->payload, "uf:pw", sizeof(m->payload));
	strlcpy(m->version, "0.77.1", sizeof(m->version));
	strlcpy(m->relay_addr, "rels://r.example:443", sizeof(m->relay_addr));
	memcpy(m->session_id, "\x01\x02\x03\x04\x05", NBD_SESSION_ID_LEN);
	m->has_session_id = 1;
	memcpy(m->relay_ip, "\xcb\x00\x71\x07", 4);
	m->relay_ip_len = 4;
}

static const char *
decode_raw(const char *buf, size_t len, struct nbd_signal_msg *m)
{
	return signal_msg_decode((const uint8_t *)buf, len, m);
}

/* A Body built field by field, packed, then decoded. */
static const char *
decode_body(Signalexchange__Body *b, struct nbd_signal_msg *m)
{
	const char	*why;
	uint8_t		*buf;
	size_t		 len;

	len = signalexchange__body__get_packed_size(b);
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	signalexchange__body__pack(b, buf);
	why = signal_msg_decode(buf, len, m);
	free(buf);
	return why;
}

static void
test_encode(void)
{
	static const char full[] =
	    "\x12\x05" "uf:pw"			/* 2 payload */
	    "\x18\xec\x94\x03"			/* 3 wgListenPort 51820 */
	    "\x22\x06" "0.77.1"			/* 4 netBirdVersion */
	    "\x3a\x00"				/* 7 rosenpassConfig {} */
	    "\x42\x14" "rels://r.example:443"	/* 8 relayServerAddress */
	    "\x52\x05\x01\x02\x03\x04\x05"	/* 10 sessionId */
	    "\x5a\x04\xcb\x00\x71\x07";		/* 11 relayServerIP */
	static const char bare[] =
	    "\x08\x01"				/* 1 type ANSWER */
	    "\x12\x01" ":"			/* no ICE: empty credentials */
	    "\x18\xec\x94\x03"
	    "\x22\x06" "0.77.1"
	    "\x3a\x00";
	static const char cand[] =
	    "\x08\x02" "\x12\x26" "1 1 udp 2130706431 10.0.0.1 1 typ host";
	struct nbd_signal_msg	 m;
	uint8_t			*b;
	size_t			 len;

	offer(&m);
	b = signal_msg_encode(&m, &len);
	check(bytes_are(b, len, full, sizeof(full) - 1),
	    "OFFER: type absent (the zero value), then fields 2, 3, 4, 7 "
	    "(empty), 8, 10, 11 in order");
	free(b);

	offer(&m);
	m.type = NBD_SIG_ANSWER;
	strlcpy(m.payload, ":", sizeof(m.payload));
	m.relay_addr[0] = '\0';
	m.has_session_id = 0;
	m.relay_ip_len = 0;
	b = signal_msg_encode(&m, &len);
	check(bytes_are(b, len, bare, sizeof(bare) - 1),
	    "ANSWER without the optional fields: none on the wire, "
	    "rosenpassConfig still there");
	free(b);

	offer(&m);
	m.type = NBD_SIG_CANDIDATE;
	strlcpy(m.payload, "1 1 udp 2130706431 10.0.0.1 1 typ host",
	    sizeof(m.payload));
	b = signal_msg_encode(&m, &len);
	check(bytes_are(b, len, cand, sizeof(cand) - 1),
	    "CANDIDATE: type and payload only, no port, version or "
	    "optional fields");
	free(b);

	offer(&m);
	m.type = NBD_SIG_GO_IDLE;
	b = signal_msg_encode(&m, &len);
	check(bytes_are(b, len, "\x08\x05", 2), "GO_IDLE: the type alone");
	free(b);

	offer(&m);
	m.type = NBD_SIG_MODE;
	b = signal_msg_encode(&m, &len);
	check(bytes_are(b, len, "\x08\x04", 2), "MODE: the type alone");
	free(b);
}

static void
test_roundtrip(void)
{
	struct nbd_signal_msg	 m, d;
	const char		*why;
	uint8_t			*b;
	size_t			 len;

	offer(&m);
	b = signal_msg_encode(&m, &len);
	why = decode_raw((const char *)b, len, &d);
	free(b);
	memcpy(d.peer.key, m.peer.key, sizeof(d.peer.key));
	check(why == NULL && memcmp(&m, &d, sizeof(m)) == 0,
	    "OFFER: encoded and decoded, every field the same (%s)",
	    why ? why : "decoded");

	why = decode_raw("\x08\x06", 2, &d);
	check(why == NULL && d.type == SIGNAL_MSG_HEARTBEAT,
	    "HEARTBEAT decodes, for signal to keep");
	why = decode_raw("\x08\x05", 2, &d);
	check(why == NULL && d.type == NBD_SIG_GO_IDLE &&
	    d.payload[0] == '\0', "GO_IDLE: empty body");
	why = decode_raw("\x08\x05\x12\x02\x01\x02", 6, &d);
	check(why == NULL && d.type == NBD_SIG_GO_IDLE &&
	    d.payload[0] == '\0', "GO_IDLE: a payload is not read");
	why = decode_raw("\x08\x02\x12\x01x\x18\x80\x80\x08\x22\x01\x1b",
	    12, &d);
	check(why == NULL && d.wg_port == 0 && d.version[0] == '\0' &&
	    strcmp(d.payload, "x") == 0,
	    "CANDIDATE: port and version are not read");
}

static void
test_decode_hostile(void)
{
	static const struct {
		const char	*buf;
		size_t		 len;
		const char	*what;
	} bad[] = {
		{ "\xff\xff\xff", 3, "garbage" },
		{ "\x12\x05uf:p", 6, "a string cut short" },
		{ "\x12\x80\x80\x80\x80\x10", 6, "a length past the end" },
		{ "\x08\x03\x12\x01:", 5, "type 3 (unused)" },
		{ "\x08\x07\x12\x01:", 5, "type 7" },
		{ "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x12\x01:", 14,
		    "type -1" },
		{ "", 0, "an empty body: an OFFER without credentials" },
		{ "\x12\x05ufrag", 7, "OFFER credentials without ':'" },
		{ "\x12\x05u:f:p", 7, "OFFER credentials with two ':'" },
		{ "\x08\x01\x12\x03\x61\x00\x62", 7,
		    "ANSWER credentials cut at an embedded NUL" },
		{ "\x08\x02", 2, "CANDIDATE without a candidate" },
		{ "\x08\x02\x12\x03" "a\nb", 7,
		    "CANDIDATE with a newline" },
		{ "\x08\x02\x12\x03" "a\x80" "b", 7,
		    "CANDIDATE with a byte over 0x7e" },
		{ "\x12\x01:\x22\x02\x1b[", 7, "version with an escape" },
		{ "\x12\x01:\x18\x80\x80\x04", 7, "wgListenPort 65536" },
		{ "\x12\x01:\x42\x02\x07x", 7,
		    "relayServerAddress with a control character" },
	};
	struct nbd_signal_msg	 m;
	const char		*why;
	size_t			 i;

	for (i = 0; i < nitems(bad); i++) {
		memset(&m, 0xa5, sizeof(m));
		why = decode_raw(bad[i].buf, bad[i].len, &m);
		check(why != NULL && m.type == 0 && m.payload[0] == '\0',
		    "refused, message zeroed: %s (%s)", bad[i].what,
		    why ? why : "accepted");
	}
	why = decode_raw("\x12\x01:\x18\xff\xff\x03", 7, &m);
	check(why == NULL && m.wg_port == 65535, "wgListenPort 65535");
	why = decode_raw("\x12\x01:\x2a\x02\x08\x01\x32\x01\x01\x78\x01", 12,
	    &m);
	check(why == NULL, "mode, featuresSupported and an unknown field "
	    "are ignored (%s)", why ? why : "accepted");
}

/* Each string at its longest, and one byte longer. */
static void
test_decode_lengths(void)
{
	Signalexchange__Body	 b;
	struct nbd_signal_msg	 m;
	char			 big[2048];
	const char		*why;

	memset(big, 'a', sizeof(big));
	signalexchange__body__init(&b);
	b.type = SIGNALEXCHANGE__BODY__TYPE__CANDIDATE;
	b.payload = big;
	big[NBD_SIG_PAYLOAD_MAX - 1] = '\0';
	why = decode_body(&b, &m);
	check(why == NULL && strlen(m.payload) == NBD_SIG_PAYLOAD_MAX - 1,
	    "payload of %d bytes accepted", NBD_SIG_PAYLOAD_MAX - 1);
	big[NBD_SIG_PAYLOAD_MAX - 1] = 'a';
	big[NBD_SIG_PAYLOAD_MAX] = '\0';
	why = decode_body(&b, &m);
	check(why != NULL, "payload of %d bytes refused (%s)",
	    NBD_SIG_PAYLOAD_MAX, why ? why : "accepted");
	big[NBD_SIG_PAYLOAD_MAX] = 'a';
	big[sizeof(big) - 1] = '\0';
	why = decode_body(&b, &m);
	check(why != NULL, "payload of %zu bytes refused", sizeof(big) - 1);
	memset(big, 'a', sizeof(big));

	signalexchange__body__init(&b);
	b.payload = ":";
	b.netbirdversion = big;
	big[NBD_SIG_VERSION_MAX - 1] = '\0';
	check(decode_body(&b, &m) == NULL, "version of %d bytes accepted",
	    NBD_SIG_VERSION_MAX - 1);
	big[NBD_SIG_VERSION_MAX - 1] = 'a';
	big[NBD_SIG_VERSION_MAX] = '\0';
	check(decode_body(&b, &m) != NULL, "version of %d bytes refused",
	    NBD_SIG_VERSION_MAX);
	memset(big, 'a', sizeof(big));

	signalexchange__body__init(&b);
	b.payload = ":";
	b._relay_server_address_case =
	    SIGNALEXCHANGE__BODY___RELAY_SERVER_ADDRESS_RELAY_SERVER_ADDRESS;
	b.relayserveraddress = big;
	big[CTL_URL_LEN - 1] = '\0';
	check(decode_body(&b, &m) == NULL &&
	    strlen(m.relay_addr) == CTL_URL_LEN - 1,
	    "relay address of %d bytes accepted", CTL_URL_LEN - 1);
	big[CTL_URL_LEN - 1] = 'a';
	big[CTL_URL_LEN] = '\0';
	check(decode_body(&b, &m) != NULL, "relay address of %d bytes refused",
	    CTL_URL_LEN);
}

/* sessionId: 5 bytes or absent; relayServerIP: 4 or 16 or absent. */
static void
test_decode_optional(void)
{
	static const size_t	 sid_len[] = { 0, 1, 4, 6, 32 };
	static const size_t	 ip_len[] = { 0, 3, 5, 15, 17 };
	Signalexchange__Body	 b;
	struct nbd_signal_msg	 m;
	uint8_t			 raw[32];
	const char		*why;
	size_t			 i;

	memset(raw, 0x42, sizeof(raw));
	for (i = 0; i < nitems(sid_len); i++) {
		signalexchange__body__init(&b);
		b.payload = "u:p";
		b._session_id_case =
		    SIGNALEXCHANGE__BODY___SESSION_ID_SESSION_ID;
		b.sessionid.data = raw;
		b.sessionid.len = sid_len[i];
		why = decode_body(&b, &m);
		check(why == NULL && m.has_session_id == 0 &&
		    m.session_id[0] == 0,
		    "sessionId of %zu bytes: message kept, no session id",
		    sid_len[i]);
	}
	b.sessionid.len = NBD_SESSION_ID_LEN;
	why = decode_body(&b, &m);
	check(why == NULL && m.has_session_id == 1 &&
	    memcmp(m.session_id, raw, NBD_SESSION_ID_LEN) == 0,
	    "sessionId of 5 bytes kept");

	for (i = 0; i < nitems(ip_len); i++) {
		signalexchange__body__init(&b);
		b.payload = "u:p";
		b._relay_server_ip_case =
		    SIGNALEXCHANGE__BODY___RELAY_SERVER_IP_RELAY_SERVER_IP;
		b.relayserverip.data = raw;
		b.relayserverip.len = ip_len[i];
		why = decode_body(&b, &m);
		check(why == NULL && m.relay_ip_len == 0,
		    "relayServerIP of %zu bytes: message kept, no address",
		    ip_len[i]);
	}
	b.relayserverip.len = 16;
	why = decode_body(&b, &m);
	check(why == NULL && m.relay_ip_len == 16 &&
	    memcmp(m.relay_ip, raw, 16) == 0, "relayServerIP of 16 bytes kept");

	signalexchange__body__init(&b);
	b.payload = "u:p";
	b._relay_server_address_case =
	    SIGNALEXCHANGE__BODY___RELAY_SERVER_ADDRESS_RELAY_SERVER_ADDRESS;
	b.relayserveraddress = "";
	why = decode_body(&b, &m);
	check(why == NULL && m.relay_addr[0] == '\0',
	    "an empty relayServerAddress is none");
}

/* What ice asks to send: a bad one is fatal for the daemon. */
static void
test_invalid(void)
{
	struct nbd_signal_msg	m;

	offer(&m);
	check(signal_msg_invalid(&m) == NULL, "ice: a full OFFER is fine");
	offer(&m);
	memset(m.peer.key, 0, sizeof(m.peer.key));
	check(signal_msg_invalid(&m) != NULL, "ice: all-zero peer refused");
	offer(&m);
	memset(m.payload, 'a', sizeof(m.payload));
	check(signal_msg_invalid(&m) != NULL, "ice: unterminated payload");
	offer(&m);
	memset(m.version, 'a', sizeof(m.version));
	check(signal_msg_invalid(&m) != NULL, "ice: unterminated version");
	offer(&m);
	memset(m.relay_addr, 'a', sizeof(m.relay_addr));
	check(signal_msg_invalid(&m) != NULL,
	    "ice: unterminated relay address");
	offer(&m);
	m.type = SIGNAL_MSG_HEARTBEAT;
	check(signal_msg_invalid(&m) != NULL, "ice: HEARTBEAT is signal's own");
	offer(&m);
	m.type = 3;
	check(signal_msg_invalid(&m) != NULL, "ice: type 3");
	offer(&m);
	m.type = -1;
	check(signal_msg_invalid(&m) != NULL, "ice: type -1");
	offer(&m);
	m.has_session_id = 2;
	check(signal_msg_invalid(&m) != NULL, "ice: session id flag 2");
	offer(&m);
	m.relay_ip_len = 5;
	check(signal_msg_invalid(&m) != NULL, "ice: relay IP of 5 bytes");
	offer(&m);
	m.wg_port = 65536;
	check(signal_msg_invalid(&m) != NULL, "ice: port 65536");
	offer(&m);
	strlcpy(m.payload, "nocolon", sizeof(m.payload));
	check(signal_msg_invalid(&m) != NULL, "ice: OFFER without ufrag:pwd");
	offer(&m);
	m.payload[1] = '\t';
	check(signal_msg_invalid(&m) != NULL, "ice: a tab in the payload");
	offer(&m);
	m.type = NBD_SIG_CANDIDATE;
	m.payload[0] = '\0';
	check(signal_msg_invalid(&m) != NULL, "ice: empty CANDIDATE");
}

static void
test_seal_open(void)
{
	uint8_t			 apk[32], ask[32], bpk[32], bsk[32];
	uint8_t			 ab[BOX_KEY_LEN], ba[BOX_KEY_LEN];
	char			 a64[KEY_B64_LEN + 1], b64[KEY_B64_LEN + 1];
	struct nbd_signal_msg	 m, d;
	struct signal_env	 env;
	uint8_t			*buf, *body;
	const char		*why;
	size_t			 len, blen;

	crypto_box_keypair(apk, ask);
	crypto_box_keypair(bpk, bsk);
	if (crypto_box_beforenm(ab, bpk, ask) != 0 ||
	    crypto_box_beforenm(ba, apk, bsk) != 0)
		abort();
	key_to_base64(apk, a64, sizeof(a64));
	key_to_base64(bpk, b64, sizeof(b64));
	offer(&m);
	body = signal_msg_encode(&m, &blen);
	free(body);
	buf = signal_msg_seal(ab, a64, b64, &m, &len);
	check(len == 2 + KEY_B64_LEN + 2 + KEY_B64_LEN + 2 + BOX_OVERHEAD +
	    blen && memcmp(buf, "\x12\x2c", 2) == 0 &&
	    memcmp(buf + 2, a64, KEY_B64_LEN) == 0 &&
	    memcmp(buf + 46, "\x1a\x2c", 2) == 0 &&
	    memcmp(buf + 48, b64, KEY_B64_LEN) == 0 && buf[92] == 0x22 &&
	    buf[93] == BOX_OVERHEAD + blen,
	    "envelope: key #2, remoteKey #3, body #4 of 40 + %zu bytes", blen);

	why = signal_env_unpack(&env, buf, len);
	check(why == NULL && memcmp(env.from, apk, 32) == 0 &&
	    memcmp(env.to, bpk, 32) == 0, "envelope: sender and receiver");
	why = signal_msg_open(ba, &env, &d);
	memcpy(m.peer.key, apk, sizeof(m.peer.key));
	check(why == NULL && memcmp(&m, &d, sizeof(m)) == 0,
	    "the receiver opens it with its own shared key; peer = sender");
	why = signal_msg_open(ab, &env, &d);
	check(why == NULL, "the same key on both sides (beforenm)");
	env.em->body.data[BOX_OVERHEAD - 1] ^= 1;
	why = signal_msg_open(ba, &env, &d);
	check(why != NULL && strcmp(why, "does not decrypt") == 0 &&
	    d.type == 0, "a flipped byte: does not decrypt");
	env.em->body.data[BOX_OVERHEAD - 1] ^= 1;
	env.em->body.len = BOX_OVERHEAD - 1;
	why = signal_msg_open(ba, &env, &d);
	check(why != NULL && strstr(why, "too short") != NULL,
	    "39 bytes: too short");
	signal_env_free(&env);
	free(buf);

	m.type = NBD_SIG_GO_IDLE;
	buf = signal_msg_seal(ab, a64, b64, &m, &len);
	check(len == 94 + BOX_OVERHEAD + 2,
	    "GO_IDLE: a 2-byte Body in a 42-byte box");
	why = signal_env_unpack(&env, buf, len);
	memset(ba, 0x33, sizeof(ba));
	check(why == NULL && signal_msg_open(ba, &env, &d) != NULL,
	    "another key does not open it");
	signal_env_free(&env);
	free(buf);
	sodium_memzero(ask, sizeof(ask));
	sodium_memzero(bsk, sizeof(bsk));
}

static void
test_envelope_hostile(void)
{
	Signalexchange__EncryptedMessage em;
	struct signal_env	 env;
	uint8_t			 buf[256];
	char			 key[KEY_B64_LEN + 1];
	uint8_t			 raw[32];
	const char		*why;
	size_t			 len;

	why = signal_env_unpack(&env, (const uint8_t *)"\x22\xff", 2);
	check(why != NULL && env.em == NULL, "envelope: garbage");
	memset(raw, 7, sizeof(raw));
	key_to_base64(raw, key, sizeof(key));
	signalexchange__encrypted_message__init(&em);
	em.key = key;
	em.remotekey = "dummy";
	len = signalexchange__encrypted_message__pack(&em, buf);
	why = signal_env_unpack(&env, buf, len);
	check(why != NULL && env.em == NULL, "envelope: receiver not a key");
	em.key = "AAAA";
	em.remotekey = key;
	len = signalexchange__encrypted_message__pack(&em, buf);
	why = signal_env_unpack(&env, buf, len);
	check(why != NULL && env.em == NULL, "envelope: sender not a key");
	em.key = key;
	len = signalexchange__encrypted_message__pack(&em, buf);
	why = signal_env_unpack(&env, buf, len);
	check(why == NULL && env.em->body.len == 0,
	    "envelope: empty body unpacks (then fails to open)");
	signal_env_free(&env);
}

/*
 * A box made with crypto_box_easy and the two full keys (what Go's
 * box.Seal computes), nonce first, opens with the precomputed key.
 */
static void
test_box_interop(void)
{
	uint8_t			 apk[32], ask[32], bpk[32], bsk[32];
	uint8_t			 ba[BOX_KEY_LEN], box[BOX_OVERHEAD + 2];
	uint8_t			*plain;
	const char		*why;
	size_t			 plen;

	crypto_box_keypair(apk, ask);
	crypto_box_keypair(bpk, bsk);
	randombytes_buf(box, crypto_box_NONCEBYTES);
	if (crypto_box_easy(box + crypto_box_NONCEBYTES,
	    (const uint8_t *)"\x08\x05", 2, box, bpk, ask) != 0 ||
	    crypto_box_beforenm(ba, apk, bsk) != 0)
		abort();
	plain = box_open(ba, box, sizeof(box), &plen, &why);
	check(plain != NULL && plen == 2 && memcmp(plain, "\x08\x05", 2) == 0,
	    "box: crypto_box_easy's output, nonce first, opens with the "
	    "precomputed key");
	if (plain != NULL)
		freezero(plain, plen + 1);
}

int
main(void)
{
	log_init(1, 0);
	log_setverbose(0);
	if (sodium_init() == -1)
		abort();
	test_encode();
	test_roundtrip();
	test_decode_hostile();
	test_decode_lengths();
	test_decode_optional();
	test_invalid();
	test_seal_open();
	test_envelope_hostile();
	test_box_interop();
	return failed;
}
