/*
 * remote.c - GDB remote serial protocol client (framing, checksums, acks,
 * run-length decoding) over the stream to vgdb.
 *
 * Key idea: strictly request/reply, so the receive side only ever looks for
 * the next complete frame; bytes after it stay buffered for the next call.
 * Caveat: valgrind's gdbserver run-length encodes every reply (try_rle in
 * its remote-utils.c), on top of the '}' escapes of binary replies, so RLE is
 * undone at the frame level and escapes only where the caller knows the
 * reply is binary.
 */
#include "targets/valgrind/remote_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tracer/target.h"

#define ACK_RETRIES 3

void vg_remote_init(struct vg_remote *r, int fd, char *errbuf)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->packet_size = VGM_DEFAULT_PKT;
    r->errbuf = errbuf;
}

void vg_remote_free(struct vg_remote *r)
{
    free(r->in);
    free(r->pkt);
    free(r->out);
    r->in = NULL;
    r->pkt = NULL;
    r->out = NULL;
    r->in_len = r->in_cap = r->pkt_len = r->pkt_cap = r->out_cap = 0;
}

int vg_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int vg_hex_decode(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = vg_hexval((unsigned char)hex[2 * i]);
        int lo = hi < 0 ? -1 : vg_hexval((unsigned char)hex[2 * i + 1]);
        if (lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

void vg_hex_encode(const uint8_t *in, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[in[i] >> 4];
        hex[2 * i + 1] = digits[in[i] & 15];
    }
}

size_t vg_remote_unescape(char *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '}') {
            if (++i == len)
                return (size_t)-1;
            buf[o++] = (char)(buf[i] ^ 0x20);
        } else {
            buf[o++] = buf[i];
        }
    }
    return o;
}

/* Milliseconds left until deadline for poll(): -1 = forever, 0 = passed. */
static int poll_timeout(int64_t deadline_ms)
{
    if (deadline_ms == 0)
        return -1;
    int64_t left = deadline_ms - tr_now_ms();
    if (left <= 0)
        return 0;
    return left > 60000 ? 60000 : (int)left;
}

/* Waits for fd to become ready for events: 1 ready, 0 deadline passed. */
static enum tr_err wait_fd(struct vg_remote *r, short events, int64_t deadline_ms)
{
    for (;;) {
        struct pollfd p = {.fd = r->fd, .events = events};
        int to = poll_timeout(deadline_ms);
        int n = poll(&p, 1, to);
        if (n > 0)
            return TR_OK;
        if (n == 0) {
            if (to == 0 || (deadline_ms && tr_now_ms() >= deadline_ms))
                return TR_ERR_TIMEOUT;
            continue; /* a 60 s slice of a longer wait */
        }
        if (errno != EINTR) {
            snprintf(r->errbuf, TR_ERRBUF_LEN, "vgdb: poll: %s", strerror(errno));
            return TR_ERR_SYS;
        }
    }
}

static enum tr_err write_all(struct vg_remote *r, const char *buf, size_t len,
                             int64_t deadline_ms)
{
    while (len > 0) {
        ssize_t n = send(r->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            enum tr_err rc = wait_fd(r, POLLOUT, deadline_ms);
            if (rc)
                return rc;
            continue;
        }
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            r->eof = 1;
            snprintf(r->errbuf, TR_ERRBUF_LEN, "vgdb closed the connection");
            return TR_ERR_GONE;
        }
        snprintf(r->errbuf, TR_ERRBUF_LEN, "vgdb: send: %s", strerror(errno));
        return TR_ERR_SYS;
    }
    return TR_OK;
}

/* Reads whatever is available (after waiting for some until deadline). */
static enum tr_err fill(struct vg_remote *r, int64_t deadline_ms)
{
    if (r->eof) {
        snprintf(r->errbuf, TR_ERRBUF_LEN, "vgdb closed the connection");
        return TR_ERR_GONE;
    }
    if (!r->in) {
        r->in_cap = VGM_FRAME_MAX + 4;
        r->in = malloc(r->in_cap);
        if (!r->in) {
            r->in_cap = 0;
            return TR_ERR_NOMEM;
        }
    }
    if (r->in_len == r->in_cap) {
        snprintf(r->errbuf, TR_ERRBUF_LEN, "remote frame longer than %u bytes", VGM_FRAME_MAX);
        return TR_ERR_PROTOCOL;
    }
    enum tr_err rc = wait_fd(r, POLLIN, deadline_ms);
    if (rc)
        return rc;
    for (;;) {
        ssize_t n = recv(r->fd, r->in + r->in_len, r->in_cap - r->in_len, MSG_DONTWAIT);
        if (n > 0) {
            r->in_len += (size_t)n;
            return TR_OK;
        }
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            r->eof = 1;
            snprintf(r->errbuf, TR_ERRBUF_LEN, "vgdb closed the connection");
            return TR_ERR_GONE;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return TR_OK; /* spurious wakeup: the caller loops */
        snprintf(r->errbuf, TR_ERRBUF_LEN, "vgdb: recv: %s", strerror(errno));
        return TR_ERR_SYS;
    }
}

static void consume(struct vg_remote *r, size_t n)
{
    memmove(r->in, r->in + n, r->in_len - n);
    r->in_len -= n;
}

static enum tr_err build_frame(struct vg_remote *r, const char *payload, size_t len)
{
    if (len + 4 > r->packet_size) {
        snprintf(r->errbuf, TR_ERRBUF_LEN, "packet of %zu bytes exceeds PacketSize %zu", len,
                 r->packet_size);
        return TR_ERR_BADREQ;
    }
    if (len + 5 > r->out_cap) {
        size_t cap = len + 5 < 1024 ? 1024 : len + 5;
        char *o = realloc(r->out, cap);
        if (!o)
            return TR_ERR_NOMEM;
        r->out = o;
        r->out_cap = cap;
    }
    uint8_t sum = 0;
    r->out[0] = '$';
    for (size_t i = 0; i < len; i++) {
        char c = payload[i];
        if (c == '$' || c == '#') {
            snprintf(r->errbuf, TR_ERRBUF_LEN, "packet payload contains a frame character");
            return TR_ERR_BADREQ;
        }
        r->out[1 + i] = c;
        sum = (uint8_t)(sum + (uint8_t)c);
    }
    r->out[1 + len] = '#';
    uint8_t s[1] = {sum};
    vg_hex_encode(s, 1, r->out + 2 + len);
    return TR_OK;
}

/* Ack mode: the next non-frame byte answers our frame. */
static enum tr_err read_ack(struct vg_remote *r, int64_t deadline_ms, int *nak)
{
    for (;;) {
        while (r->in_len > 0) {
            uint8_t c = r->in[0];
            if (c == '+' || c == '-') {
                consume(r, 1);
                *nak = c == '-';
                return TR_OK;
            }
            if (c == '$')
                return TR_OK; /* a reply already: the ack was lost, carry on */
            consume(r, 1);
        }
        enum tr_err rc = fill(r, deadline_ms);
        if (rc)
            return rc;
    }
}

enum tr_err vg_remote_send(struct vg_remote *r, const char *payload, size_t len,
                           int64_t deadline_ms)
{
    enum tr_err rc = build_frame(r, payload, len);
    if (rc)
        return rc;
    for (int tries = 0;; tries++) {
        rc = write_all(r, r->out, len + 4, deadline_ms);
        if (rc || r->noack)
            return rc;
        int nak = 0;
        rc = read_ack(r, deadline_ms, &nak);
        if (rc || !nak)
            return rc;
        if (tries == ACK_RETRIES) {
            snprintf(r->errbuf, TR_ERRBUF_LEN, "gdbserver rejected a packet %d times",
                     ACK_RETRIES + 1);
            return TR_ERR_PROTOCOL;
        }
    }
}

enum tr_err vg_remote_ack(struct vg_remote *r, int64_t deadline_ms)
{
    return write_all(r, "+", 1, deadline_ms);
}

/* Run-length decodes body[0..n) into r->pkt. */
static enum tr_err decode_rle(struct vg_remote *r, const uint8_t *body, size_t n)
{
    size_t o = 0;
    if (!r->pkt) {
        r->pkt_cap = 4096;
        r->pkt = malloc(r->pkt_cap);
        if (!r->pkt) {
            r->pkt_cap = 0;
            return TR_ERR_NOMEM;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t reps = 1;
        uint8_t c = body[i];
        if (c == '*') {
            /* "x*N": x once more for each of N-29 (printable count char) */
            if (o == 0 || i + 1 >= n || body[i + 1] < 29 + 3 || body[i + 1] > 126) {
                snprintf(r->errbuf, TR_ERRBUF_LEN, "bad run-length encoding in reply");
                return TR_ERR_PROTOCOL;
            }
            reps = (size_t)body[++i] - 29;
            c = (uint8_t)r->pkt[o - 1];
        }
        if (o + reps + 1 > r->pkt_cap) {
            size_t cap = r->pkt_cap;
            while (o + reps + 1 > cap)
                cap *= 2;
            if (cap > VGM_PKT_MAX + 1) {
                snprintf(r->errbuf, TR_ERRBUF_LEN, "reply longer than %u bytes", VGM_PKT_MAX);
                return TR_ERR_PROTOCOL;
            }
            char *p = realloc(r->pkt, cap);
            if (!p)
                return TR_ERR_NOMEM;
            r->pkt = p;
            r->pkt_cap = cap;
        }
        memset(r->pkt + o, c, reps);
        o += reps;
    }
    r->pkt[o] = '\0';
    r->pkt_len = o;
    return TR_OK;
}

enum tr_err vg_remote_recv(struct vg_remote *r, int64_t deadline_ms)
{
    for (;;) {
        /* Find "$...#xx" in what we have. */
        size_t start = 0;
        while (start < r->in_len && r->in[start] != '$')
            start++;
        if (start > 0)
            consume(r, start); /* stray acks or noise between frames */
        uint8_t *hash = r->in_len > 1 ? memchr(r->in + 1, '#', r->in_len - 1) : NULL;
        if (hash && (size_t)(hash - r->in) + 3 <= r->in_len) {
            size_t body_len = (size_t)(hash - r->in) - 1;
            uint8_t sum = 0, want;
            for (size_t i = 0; i < body_len; i++)
                sum = (uint8_t)(sum + r->in[1 + i]);
            int ok = vg_hex_decode((const char *)hash + 1, &want, 1) == 0 && want == sum;
            enum tr_err rc = TR_OK;
            if (ok)
                rc = decode_rle(r, r->in + 1, body_len);
            size_t frame_len = body_len + 4;
            if (!r->noack) {
                enum tr_err wrc = write_all(r, ok ? "+" : "-", 1, deadline_ms);
                if (wrc && !rc)
                    rc = wrc;
            }
            consume(r, frame_len);
            if (!ok && r->noack) {
                snprintf(r->errbuf, TR_ERRBUF_LEN, "bad checksum in reply");
                return TR_ERR_PROTOCOL;
            }
            if (!ok)
                continue; /* asked for a retransmit */
            return rc;
        }
        enum tr_err rc = fill(r, deadline_ms);
        if (rc)
            return rc;
    }
}

/* An 'O' packet carries console output as hex; "OK" is a reply. */
static int is_console(const struct vg_remote *r)
{
    if (r->pkt_len < 3 || r->pkt[0] != 'O' || (r->pkt_len - 1) % 2)
        return 0;
    for (size_t i = 1; i < r->pkt_len; i++)
        if (vg_hexval((unsigned char)r->pkt[i]) < 0)
            return 0;
    return 1;
}

enum tr_err vg_remote_call(struct vg_remote *r, const char *payload, int64_t deadline_ms)
{
    enum tr_err rc = vg_remote_send(r, payload, strlen(payload), deadline_ms);
    while (rc == TR_OK) {
        rc = vg_remote_recv(r, deadline_ms);
        if (rc == TR_OK && !is_console(r))
            break;
    }
    return rc;
}

int vg_remote_is_console(const struct vg_remote *r)
{
    return is_console(r);
}
