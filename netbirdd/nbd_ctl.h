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
 * Payloads of the control protocol, between netbirdctl and the daemon.
 * Fixed size, pointer free; strings are NUL terminated and the receiver
 * checks that they are.
 */

#ifndef NBD_CTL_H
#define NBD_CTL_H

#include <stdint.h>

#define NBD_SOCKET		"/var/run/netbirdd.sock"
#define NBD_CTL_MAX_IMSGSIZE	4096	/* largest request a client may send */

#define CTL_KEY_LEN		45	/* base64 of 32 bytes, NUL */
#define CTL_ADDR_LEN		64	/* "address/prefix" or "[v6]:port" */
#define CTL_NAME_LEN		256	/* FQDN */
#define CTL_URL_LEN		256
#define CTL_MSG_LEN		256

enum ctl_mgmt_state {
	CTL_MGMT_IDLE,		/* not started */
	CTL_MGMT_CONNECTING,
	CTL_MGMT_CONNECTED,
	CTL_MGMT_NEEDS_LOGIN,	/* SSO login required: not supported */
	CTL_MGMT_LOGIN_FAILED,
	CTL_MGMT_DISCONNECTED
};

enum ctl_peer_state {
	CTL_PEER_IDLE,
	CTL_PEER_CONNECTING,
	CTL_PEER_CONNECTED
};

enum ctl_conn_type {
	CTL_CONN_NONE,
	CTL_CONN_P2P,
	CTL_CONN_RELAYED
};

/* IMSG_CTL_SHOW_STATUS reply */
struct ctl_status {
	char		version[32];
	char		mgmt_url[CTL_URL_LEN];
	char		mgmt_error[CTL_MSG_LEN];
	char		signal_url[CTL_URL_LEN];
	char		ifname[16];
	char		pubkey[CTL_KEY_LEN];
	char		address[CTL_ADDR_LEN];
	char		fqdn[CTL_NAME_LEN];
	int64_t		started;	/* unix seconds */
	int64_t		last_sync;	/* unix seconds, 0: never */
	uint64_t	serial;
	uint32_t	peers_total;
	uint32_t	peers_connected;
	int32_t		mgmt_state;	/* enum ctl_mgmt_state */
	int32_t		signal_connected;
	int32_t		wg_backend;	/* enum wg_backend, as in use */
	int32_t		log_level;	/* enum nbd_log_level */
	uint16_t	wg_port;
	uint16_t	mtu;
	char		signal_error[CTL_MSG_LEN];	/* why it is down */
	uint32_t	signal_dropped;	/* messages from keys not in the map */
	uint32_t	signal_rejected; /* messages that did not open */
};

/* IMSG_CTL_SHOW_PEER reply, one per peer */
struct ctl_peer {
	char		fqdn[CTL_NAME_LEN];
	char		address[CTL_ADDR_LEN];
	char		pubkey[CTL_KEY_LEN];
	char		local_type[8];		/* host, srflx, prflx, relay */
	char		remote_type[8];
	char		local_endpoint[CTL_ADDR_LEN];
	char		remote_endpoint[CTL_ADDR_LEN];
	char		relay_address[CTL_URL_LEN];
	int64_t		last_update;		/* unix seconds */
	int64_t		last_handshake;		/* unix seconds, 0: never */
	int64_t		latency_ns;
	uint64_t	rx_bytes;
	uint64_t	tx_bytes;
	int32_t		state;			/* enum ctl_peer_state */
	int32_t		conn_type;		/* enum ctl_conn_type */
};

/* IMSG_CTL_SHOW_RELAY reply, one per STUN, TURN or relay server */
struct ctl_relay {
	char		uri[CTL_URL_LEN];
	char		error[CTL_MSG_LEN];	/* why it is unavailable */
	char		transport[8];		/* "ws", "quic" or "" */
	int32_t		available;		/* 1 yes, 0 no, -1 checking */
};

enum ctl_metrics_format {
	CTL_METRICS_LINE,	/* InfluxDB line protocol, as pushed */
	CTL_METRICS_PROM	/* Prometheus text exposition */
};

/* IMSG_CTL_SHOW_METRICS request */
struct ctl_metrics_req {
	int32_t		format;			/* enum ctl_metrics_format */
};

#define CTL_TEXT_MAX	8192	/* payload of one IMSG_CTL_TEXT */

/* IMSG_CTL_LOG_VERBOSE request */
struct ctl_verbose {
	int32_t		level;			/* enum nbd_log_level */
};

enum ctl_result_code {
	CTL_RES_OK,
	CTL_RES_FAILED,
	CTL_RES_DENIED,
	CTL_RES_BADREQ
};

/* IMSG_CTL_RESULT */
struct ctl_result {
	int32_t		code;			/* enum ctl_result_code */
	char		msg[CTL_MSG_LEN];
};

#endif
