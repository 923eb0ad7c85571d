/*
 * remote_int.h - folder-private: a GDB remote serial protocol client over
 * one byte stream (our end of the socket whose other end is vgdb's stdin
 * and stdout).
 *
 * One request, one reply, in order: the client never pipelines. Framing
 * ($payload#cs), acknowledgements until QStartNoAckMode is accepted, then
 * none; replies are run-length decoded here, binary escapes ('}') are undone
 * only by vg_remote_unescape() for the few binary replies (qXfer). Every wait
 * has a deadline. The peer is hostile input: frames and decoded payloads
 * have caps, and anything malformed is TR_ERR_PROTOCOL.
 */
#ifndef SPP_TARGETS_VALGRIND_REMOTE_INT_H
#define SPP_TARGETS_VALGRIND_REMOTE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tracer/err.h"

#define VGM_PKT_MAX      (256u << 10) /* decoded payload cap */
#define VGM_FRAME_MAX    (64u << 10)  /* raw frame cap (gdbserver sends <= 16 KiB) */
#define VGM_DEFAULT_PKT  399u         /* PacketSize before qSupported says more */

struct vg_remote {
    int fd;             /* socket to vgdb; not owned */
    int noack;          /* QStartNoAckMode accepted */
    size_t packet_size; /* the peer's PacketSize: max frame it accepts */
    uint8_t *in;        /* raw bytes received, not yet consumed */
    size_t in_len, in_cap;
    char *pkt;          /* last decoded payload, NUL-terminated */
    size_t pkt_len, pkt_cap;
    char *out;          /* framing buffer for sends */
    size_t out_cap;
    int eof;            /* the peer closed the stream */
    char *errbuf;       /* TR_ERRBUF_LEN, caller's */
};

/* fd is borrowed (the caller closes it). Never fails. */
void vg_remote_init(struct vg_remote *r, int fd, char *errbuf);
/* Frees the buffers; accepts a zeroed struct. */
void vg_remote_free(struct vg_remote *r);

/* Sends one packet; in ack mode waits for '+' (retransmits on '-', a few
   times). The payload must not contain '$' or '#'. */
enum tr_err vg_remote_send(struct vg_remote *r, const char *payload, size_t len,
                           int64_t deadline_ms) TR_WUR;

/* Receives one packet into r->pkt (r->pkt_len bytes, NUL-terminated, owned
   by r until the next receive). TR_ERR_TIMEOUT at the deadline with any
   partial frame kept; TR_ERR_GONE when the stream ended. */
enum tr_err vg_remote_recv(struct vg_remote *r, int64_t deadline_ms) TR_WUR;

/* Sends a lone '+': acknowledges a packet the peer may have sent before
   we spoke (a gdbserver in a forked child repeats its parent's last stop
   reply on connection and then waits for the ack, eating what comes). */
enum tr_err vg_remote_ack(struct vg_remote *r, int64_t deadline_ms) TR_WUR;

/* Send then receive, skipping console output ('O' packets) in between. */
enum tr_err vg_remote_call(struct vg_remote *r, const char *payload, int64_t deadline_ms) TR_WUR;

/* True when the last received packet is console output ("O<hex>"). */
int vg_remote_is_console(const struct vg_remote *r);

/* Undo binary escapes ('}' x -> x ^ 0x20) of buf in place; returns the new
   length, or (size_t)-1 for a trailing lone '}'. */
size_t vg_remote_unescape(char *buf, size_t len);

/* Hex helpers, shared with the rest of targets/valgrind/. */
int vg_hexval(int c);
/* Decodes 2*n hex digits into n bytes; 0 on success, -1 on a bad digit. */
int vg_hex_decode(const char *hex, uint8_t *out, size_t n);
/* Encodes n bytes as 2*n lowercase hex digits (no NUL). */
void vg_hex_encode(const uint8_t *in, size_t n, char *hex);

#endif
