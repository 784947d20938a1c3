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
 * The NetBird relay (protocol.md 6), from the bottom up:
 *
 *   relay_msg.c  the relay's binary messages and peer IDs
 *   ws_frame.c   WebSocket (RFC 6455), client side: the opening
 *                handshake and frames, without I/O
 *   ws.c         a WebSocket connection: TCP and TLS by libcurl
 *                (connect-only, on the multi interface and libevent),
 *                ws_frame.c on top
 *   ice_relay.c  (in the ice process) relay servers, home and foreign,
 *                and the logical connection to a peer through one
 */

#ifndef NBD_RELAY_H
#define NBD_RELAY_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct event_base;

/* ---- relay_msg.c --------------------------------------------------- */

#define RELAY_VERSION		1
#define RELAY_PEERID_LEN	36	/* "sha-" and a SHA-256 */
#define RELAY_PEERID_STR	49	/* "sha-" base64, NUL included */
#define RELAY_MSG_MAX		8820	/* any message */
#define RELAY_AUTH_MAX		212	/* an Auth message */
#define RELAY_AUTH_RESP_MAX	8192	/* an AuthResponse message */
#define RELAY_IDS_CHUNK		244	/* peer IDs per message at most */
#define RELAY_HDR_LEN		2	/* version, type */
#define RELAY_TRANSPORT_HDR	(RELAY_HDR_LEN + RELAY_PEERID_LEN)

enum relay_type {
	RELAY_TRANSPORT = 3,
	RELAY_CLOSE = 4,
	RELAY_HEALTH = 5,
	RELAY_AUTH = 6,
	RELAY_AUTH_RESPONSE = 7,
	RELAY_SUBSCRIBE = 8,
	RELAY_UNSUBSCRIBE = 9,
	RELAY_PEERS_ONLINE = 10,
	RELAY_PEERS_OFFLINE = 11
};

struct relay_peerid {
	uint8_t		id[RELAY_PEERID_LEN];
};

/* A message from a relay server; pointers into the decoded buffer. */
struct relay_msg {
	int		 type;		/* enum relay_type */
	/* RELAY_TRANSPORT: the sender, and the WireGuard datagram */
	struct relay_peerid peer;
	const uint8_t	*payload;
	size_t		 payload_len;
	/* RELAY_PEERS_ONLINE, RELAY_PEERS_OFFLINE: nids IDs back to back */
	const uint8_t	*ids;
	size_t		 nids;
	/* RELAY_AUTH_RESPONSE: the instance URL, not NUL-terminated */
	const char	*url;
	size_t		 url_len;
};

/* Peer ID of a WireGuard public key in its base64 string form. */
void		 relay_peerid(const char *, struct relay_peerid *);
/* "sha-" and base64 of the hash, into a RELAY_PEERID_STR buffer. */
const char	*relay_peerid_str(const struct relay_peerid *, char *, size_t);
/*
 * What a server may send a client: Transport, Close, HealthCheck,
 * AuthResponse, PeersOnline, PeersWentOffline.  Returns 0, or -1 with
 * the reason in *why (wrong version, unknown or client-only type, bad
 * length).
 */
int		 relay_msg_decode(const uint8_t *, size_t, struct relay_msg *,
		    const char **);
/*
 * Encoders return the length written, or 0 if the buffer is too small
 * or the input is not valid (then nothing is sent).
 */
size_t		 relay_msg_header(uint8_t *, size_t, int);	/* Close,
								   HealthCheck */
size_t		 relay_msg_transport(uint8_t *, size_t,
		    const struct relay_peerid *, const uint8_t *, size_t);
/* Auth: our ID, the token payload and its base64 signature (6.4). */
size_t		 relay_msg_auth(uint8_t *, size_t, const struct relay_peerid *,
		    const char *, const char *);
/* Subscribe or Unsubscribe: 1 to RELAY_IDS_CHUNK IDs. */
size_t		 relay_msg_peers(uint8_t *, size_t, int,
		    const struct relay_peerid *, size_t);

/* ---- relay_url.c --------------------------------------------------- */

#define RELAY_HOST_MAX		256	/* = NBD_DNS_HOST_MAX */
#define RELAY_WS_PATH		"/relay"

struct relay_url {
	char		host[RELAY_HOST_MAX];	/* a name or an IPv4 literal */
	uint16_t	port;
	int		tls;
};

/*
 * "rels://host[:port]" (TLS, port 443 by default) or "rel://host[:port]"
 * (80), a trailing "/" allowed, as management and offers give them.
 * IPv6 literals, user info, paths and queries are refused: -1 with the
 * reason in *why.
 */
int		 relay_url_parse(const char *, struct relay_url *,
		    const char **);
/* The WebSocket URL: "wss://host:port/relay"; its length, or -1. */
int		 relay_url_ws(const struct relay_url *, char *, size_t);

/* ---- ws_frame.c ---------------------------------------------------- */

#define WS_KEY_LEN		24	/* base64 of 16 random bytes */
#define WS_HANDSHAKE_MAX	4096	/* the server's response head */
#define WS_FRAME_HDR_MAX	14	/* client frame: 2 + 8 + mask 4 */

enum ws_opcode {
	WS_CONT = 0x0,
	WS_TEXT = 0x1,
	WS_BINARY = 0x2,
	WS_CLOSE = 0x8,
	WS_PING = 0x9,
	WS_PONG = 0xa
};

/* A fresh Sec-WebSocket-Key, NUL-terminated (WS_KEY_LEN + 1). */
void		 ws_key_new(char *, size_t);
/*
 * The GET request: host, port (left out of Host when it is the
 * default for tls), path, key.  Returns the length, or -1.
 */
int		 ws_handshake_request(char *, size_t, const char *, uint16_t,
		    int, const char *, const char *);
/*
 * The server's response head, as much as has arrived: 1 complete and
 * valid (101, Upgrade, Connection, the right Sec-WebSocket-Accept;
 * *used = the bytes of the head, frames may follow), 0 more needed,
 * -1 refused with the reason in *why.
 */
int		 ws_handshake_response(const uint8_t *, size_t, const char *,
		    size_t *, const char **);
/*
 * One client frame, FIN set, masked with a random key: header and
 * masked payload into out.  Returns the length, or 0 if out is small.
 */
size_t		 ws_frame_encode(uint8_t *, size_t, int, const uint8_t *,
		    size_t);

/*
 * Incremental reader of server frames: feed it any split of the byte
 * stream.  Every complete message (fragments joined) or control frame
 * goes to the callback with its opcode.  Masked frames, RSV bits,
 * unknown opcodes, long or fragmented control frames, a continuation
 * without a start, and messages over the maximum are errors: the
 * connection must close.
 */
struct ws_reader {
	uint8_t		 hdr[WS_FRAME_HDR_MAX];
	size_t		 hdrlen;
	int		 opcode;	/* of the frame being read */
	int		 fin;
	uint64_t	 framelen;
	uint64_t	 framegot;
	int		 msg_opcode;	/* of a fragmented message; 0 none */
	uint8_t		*buf;		/* the message so far */
	size_t		 len;
	size_t		 size;
	size_t		 max;
	uint8_t		 ctl[125];	/* a control frame's payload */
};

enum ws_reader_status {
	WS_READER_OK = 0,
	WS_READER_PROTOCOL = -1,	/* against RFC 6455 */
	WS_READER_TOOBIG = -2,		/* over the maximum */
	WS_READER_NOMEM = -3,
	WS_READER_STOPPED = -4		/* the callback returned non-zero */
};

typedef int	(*ws_message_cb)(void *, int, const uint8_t *, size_t);

void		 ws_reader_init(struct ws_reader *, size_t);
int		 ws_reader_feed(struct ws_reader *, const uint8_t *, size_t,
		    ws_message_cb, void *);
void		 ws_reader_clear(struct ws_reader *);
const char	*ws_reader_strerror(int);

/* ---- ws.c ---------------------------------------------------------- */

struct ws_conn;

struct ws_conn_cb {
	/* the handshake is done: messages may go both ways */
	void	(*open)(void *);
	/* one binary message */
	void	(*message)(void *, const uint8_t *, size_t);
	/*
	 * The connection failed or closed (before or after open), with a
	 * reason for one log line.  Nothing more comes; the owner frees it
	 * with ws_conn_free(), which may be called from here.
	 */
	void	(*closed)(void *, const char *);
};

/*
 * Before the chroot and the seccomp filter: libcurl, the event base and
 * the CA bundle (NULL: the system's default).  Each connection has a
 * multi handle of its own (ws.c says why).
 */
int		 ws_init(struct event_base *, const void *, size_t);
/*
 * Connect to "ws://host[:port]/path" or "wss://...", trying the
 * resolved addresses in order (port set), with a deadline for TCP,
 * TLS and the handshake.  TLS verifies the URL's host name.  NULL only
 * when the arguments are bad (logged); failures to connect come by the
 * closed callback.
 */
struct ws_conn	*ws_conn_open(const char *, const struct sockaddr_storage *,
		    size_t, int, const struct ws_conn_cb *, void *);
/*
 * One binary message.  Queued when the socket is full, up to a bound;
 * -1 when the message is dropped (not open yet, closed, queue full).
 */
int		 ws_conn_send(struct ws_conn *, const uint8_t *, size_t);
/* The server's address of an open connection (relayServerIP). */
int		 ws_conn_peer(const struct ws_conn *,
		    struct sockaddr_storage *);
/* A Close frame if open, then the connection goes; no more callbacks. */
void		 ws_conn_free(struct ws_conn *);

struct ws_stats {
	uint64_t	 tx_msgs;
	uint64_t	 rx_msgs;
	uint64_t	 tx_bytes;
	uint64_t	 rx_bytes;
	uint64_t	 tx_drops;	/* queue full or not open */
};
void		 ws_conn_stats(const struct ws_conn *, struct ws_stats *);

#endif
