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

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "box.h"
#include "signal_msg.h"

/* protobuf-c's names for "this optional field is present" */
#define HAS_RELAY_ADDR \
	SIGNALEXCHANGE__BODY___RELAY_SERVER_ADDRESS_RELAY_SERVER_ADDRESS
#define HAS_SESSION_ID	SIGNALEXCHANGE__BODY___SESSION_ID_SESSION_ID
#define HAS_RELAY_IP	SIGNALEXCHANGE__BODY___RELAY_SERVER_IP_RELAY_SERVER_IP

static int	 text_ok(const char *, size_t);
static int	 type_known(int32_t);
static const char *msg_check(const struct nbd_signal_msg *);
static const char *body_payload(const Signalexchange__Body *,
		    struct nbd_signal_msg *);
static const char *body_creds(const Signalexchange__Body *,
		    struct nbd_signal_msg *);
static void	 msg_body(struct nbd_signal_msg *, Signalexchange__Body *,
		    Signalexchange__RosenpassConfig *);

/* Shorter than max (room for the NUL), printable ASCII only. */
static int
text_ok(const char *s, size_t max)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i + 1 >= max || s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
type_known(int32_t type)
{
	switch (type) {
	case NBD_SIG_OFFER:
	case NBD_SIG_ANSWER:
	case NBD_SIG_CANDIDATE:
	case NBD_SIG_MODE:
	case NBD_SIG_GO_IDLE:
	case SIGNAL_MSG_HEARTBEAT:
		return 1;
	}
	return 0;
}

/* What is wrong with a message whose strings are terminated, or NULL. */
static const char *
msg_check(const struct nbd_signal_msg *m)
{
	const char	*colon;

	if (!type_known(m->type))
		return "has an unknown type";
	if (!text_ok(m->payload, sizeof(m->payload)))
		return "has a payload too long or not printable";
	if (!text_ok(m->version, sizeof(m->version)))
		return "has a version too long or not printable";
	if (!text_ok(m->relay_addr, sizeof(m->relay_addr)))
		return "has a relay address too long or not printable";
	if (m->wg_port > 65535)
		return "has a WireGuard port over 65535";
	switch (m->type) {
	case NBD_SIG_OFFER:
	case NBD_SIG_ANSWER:
		/* NetBird splits on ':' and wants exactly two parts. */
		colon = strchr(m->payload, ':');
		if (colon == NULL || strchr(colon + 1, ':') != NULL)
			return "has credentials that are not ufrag:pwd";
		break;
	case NBD_SIG_CANDIDATE:
		if (m->payload[0] == '\0')
			return "has no candidate";
		break;
	}
	return NULL;
}

/*
 * An envelope from the stream: it must name two keys.  On success the
 * caller frees it with signal_env_free().
 */
const char *
signal_env_unpack(struct signal_env *env, const uint8_t *buf, size_t len)
{
	memset(env, 0, sizeof(*env));
	if ((env->em = signalexchange__encrypted_message__unpack(NULL, len,
	    buf)) == NULL)
		return "is not an EncryptedMessage";
	if (key_from_base64(env->em->key, env->from) == -1) {
		signal_env_free(env);
		return "names no valid sender key";
	}
	if (key_from_base64(env->em->remotekey, env->to) == -1) {
		signal_env_free(env);
		return "names no valid receiver key";
	}
	return NULL;
}

void
signal_env_free(struct signal_env *env)
{
	if (env->em != NULL)
		signalexchange__encrypted_message__free_unpacked(env->em, NULL);
	env->em = NULL;
}

/* The Body of an envelope, with the key shared with its sender. */
const char *
signal_msg_open(const uint8_t key[BOX_KEY_LEN], const struct signal_env *env,
    struct nbd_signal_msg *m)
{
	const char	*why;
	uint8_t		*plain;
	size_t		 plen;

	if ((plain = box_open(key, env->em->body.data, env->em->body.len,
	    &plen, &why)) == NULL)
		return why;
	why = signal_msg_decode(plain, plen, m);
	freezero(plain, plen + 1);
	if (why == NULL)
		memcpy(m->peer.key, env->from, sizeof(m->peer.key));
	return why;
}

/*
 * A serialised Body; the peer is left zero for the caller to set.  Only
 * the fields the type carries are read (4.4): all of them for OFFER and
 * ANSWER, the payload for CANDIDATE, none for the others.
 */
const char *
signal_msg_decode(const uint8_t *buf, size_t len, struct nbd_signal_msg *m)
{
	Signalexchange__Body	*b;
	const char		*why;

	memset(m, 0, sizeof(*m));
	if ((b = signalexchange__body__unpack(NULL, len, buf)) == NULL)
		return "is not a Body";
	m->type = b->type;
	switch (m->type) {
	case NBD_SIG_OFFER:
	case NBD_SIG_ANSWER:
		why = body_creds(b, m);
		break;
	case NBD_SIG_CANDIDATE:
		why = body_payload(b, m);
		break;
	default:
		why = NULL;
		break;
	}
	signalexchange__body__free_unpacked(b, NULL);
	if (why == NULL)
		why = msg_check(m);
	if (why != NULL)
		memset(m, 0, sizeof(*m));
	return why;
}

static const char *
body_payload(const Signalexchange__Body *b, struct nbd_signal_msg *m)
{
	if (b->payload != NULL && strlcpy(m->payload, b->payload,
	    sizeof(m->payload)) >= sizeof(m->payload))
		return "has a payload too long";
	return NULL;
}

/* OFFER and ANSWER: credentials, port, version and the optional ones. */
static const char *
body_creds(const Signalexchange__Body *b, struct nbd_signal_msg *m)
{
	const char	*why;

	if ((why = body_payload(b, m)) != NULL)
		return why;
	m->wg_port = b->wglistenport;
	if (b->netbirdversion != NULL && strlcpy(m->version,
	    b->netbirdversion, sizeof(m->version)) >= sizeof(m->version))
		return "has a version too long";
	if (b->_relay_server_address_case == HAS_RELAY_ADDR &&
	    b->relayserveraddress != NULL && strlcpy(m->relay_addr,
	    b->relayserveraddress, sizeof(m->relay_addr)) >=
	    sizeof(m->relay_addr))
		return "has a relay address too long";
	if (b->_session_id_case == HAS_SESSION_ID &&
	    b->sessionid.len == NBD_SESSION_ID_LEN) {
		memcpy(m->session_id, b->sessionid.data, NBD_SESSION_ID_LEN);
		m->has_session_id = 1;
	}
	if (b->_relay_server_ip_case == HAS_RELAY_IP &&
	    (b->relayserverip.len == 4 || b->relayserverip.len == 16)) {
		memcpy(m->relay_ip, b->relayserverip.data,
		    b->relayserverip.len);
		m->relay_ip_len = b->relayserverip.len;
	}
	return NULL;
}

/*
 * A message ice wants sent, or NULL when it is well formed.  ice is a
 * sibling: the caller treats a reason as fatal.
 */
const char *
signal_msg_invalid(const struct nbd_signal_msg *m)
{
	if (sodium_is_zero(m->peer.key, sizeof(m->peer.key)))
		return "all-zero peer key";
	if (memchr(m->payload, '\0', sizeof(m->payload)) == NULL ||
	    memchr(m->version, '\0', sizeof(m->version)) == NULL ||
	    memchr(m->relay_addr, '\0', sizeof(m->relay_addr)) == NULL)
		return "unterminated string";
	if (m->type == SIGNAL_MSG_HEARTBEAT)
		return "a HEARTBEAT";
	if (m->has_session_id > 1)
		return "session id flag neither 0 nor 1";
	if (m->relay_ip_len != 0 && m->relay_ip_len != 4 &&
	    m->relay_ip_len != 16)
		return "relay IP neither 0, 4 nor 16 bytes";
	return msg_check(m);
}

/*
 * The Body of a checked message, pointing into it (protobuf-c's structs
 * want pointers to non-const: the callers give a copy).  OFFER and ANSWER
 * carry every field NetBird's do (rosenpassConfig always, empty; the
 * optional ones when known); CANDIDATE its payload; the others their
 * type alone.
 */
static void
msg_body(struct nbd_signal_msg *m, Signalexchange__Body *b,
    Signalexchange__RosenpassConfig *rp)
{
	signalexchange__body__init(b);
	signalexchange__rosenpass_config__init(rp);
	b->type = m->type;
	switch (m->type) {
	case NBD_SIG_OFFER:
	case NBD_SIG_ANSWER:
		break;
	case NBD_SIG_CANDIDATE:
		b->payload = m->payload;
		return;
	default:
		return;
	}
	b->payload = m->payload;
	b->wglistenport = m->wg_port;
	b->netbirdversion = m->version;
	b->rosenpassconfig = rp;
	if (m->relay_addr[0] != '\0') {
		b->_relay_server_address_case = HAS_RELAY_ADDR;
		b->relayserveraddress = m->relay_addr;
	}
	if (m->has_session_id) {
		b->_session_id_case = HAS_SESSION_ID;
		b->sessionid.data = m->session_id;
		b->sessionid.len = NBD_SESSION_ID_LEN;
	}
	if (m->relay_ip_len != 0) {
		b->_relay_server_ip_case = HAS_RELAY_IP;
		b->relayserverip.data = m->relay_ip;
		b->relayserverip.len = m->relay_ip_len;
	}
}

/* The serialised Body of a checked message. */
uint8_t *
signal_msg_encode(const struct nbd_signal_msg *m, size_t *len)
{
	Signalexchange__Body		 b;
	Signalexchange__RosenpassConfig	 rp;
	struct nbd_signal_msg		 c = *m;
	uint8_t				*out;

	msg_body(&c, &b, &rp);
	*len = signalexchange__body__get_packed_size(&b);
	if ((out = malloc(*len + 1)) == NULL)
		fatal("%s", __func__);
	signalexchange__body__pack(&b, out);
	return out;
}

/*
 * The serialised EncryptedMessage{from, to, nonce || box(Body)} of a
 * checked message; key is the one shared with the receiver.
 */
uint8_t *
signal_msg_seal(const uint8_t key[BOX_KEY_LEN], const char *from,
    const char *to, const struct nbd_signal_msg *m, size_t *len)
{
	Signalexchange__EncryptedMessage em;
	Signalexchange__Body		 b;
	Signalexchange__RosenpassConfig	 rp;
	struct nbd_signal_msg		 c = *m;
	char				 f[KEY_B64_LEN + 1], t[KEY_B64_LEN + 1];
	uint8_t				*out;

	if (strlcpy(f, from, sizeof(f)) >= sizeof(f) ||
	    strlcpy(t, to, sizeof(t)) >= sizeof(t))
		fatalx("%s: not a key", __func__);
	msg_body(&c, &b, &rp);
	signalexchange__encrypted_message__init(&em);
	em.key = f;
	em.remotekey = t;
	em.body.data = box_seal(key, &b.base, &em.body.len);
	*len = signalexchange__encrypted_message__get_packed_size(&em);
	if ((out = malloc(*len)) == NULL)
		fatal("%s", __func__);
	signalexchange__encrypted_message__pack(&em, out);
	free(em.body.data);
	return out;
}
