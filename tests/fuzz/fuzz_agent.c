/*
 * fuzz_agent.c - libFuzzer harness for what the in-process agent sends the
 * tracer (targets/agent/agent_wire.c): the HELLO, the packets that come
 * while the program runs (STOP, ERROR, anything a program can forge) and
 * the replies to READ/WRITE/POKE. The agent lives in the user's program:
 * every byte of these is the program's to choose.
 *
 * An input is two bytes of framing, then the packet:
 *   byte 0   how recv(MSG_TRUNC) reported it: bits 0-1 = 0 its length, 1 a
 *            longer packet cut to these bytes (+ byte 0's high bits), 2 an
 *            error (-1), 3 its length again
 *   byte 1   the READ the reply answers: want = byte 1 * 257 bytes (0: a
 *            WRITE or POKE)
 * The seeds (tests/fuzz/corpus/agent/) are the agent's real packets so
 * framed: a HELLO, STOPs at a breakpoint and at a fault, an ERROR, READ
 * replies with data and with EFAULT, a POKE reply.
 *
 * Invariants checked: a STOP's signal is in 1..64; an ERROR's text and
 * every message are NUL-terminated, printable ASCII; an accepted reply is
 * exactly a header and want bytes (or a header with a non-zero status),
 * and its data is the packet's; nothing is read past the packet (ASan: the
 * packet and the data buffer are allocations of their exact size).
 */
#include "targets/agent/agent_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* NUL-terminated within TR_ERRBUF_LEN, printable. */
static void check_text(const char *s)
{
    size_t n = strnlen(s, TR_ERRBUF_LEN);
    if (n == 0 || n == TR_ERRBUF_LEN)
        abort();
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t len = size - 2;
    ssize_t n = (ssize_t)len;
    switch (data[0] & 3) {
    case 1:
        n += 1 + (data[0] >> 2);
        break;
    case 2:
        n = -1;
        break;
    default:
        break;
    }
    size_t want = (size_t)data[1] * 257;
    /* the packet alone, in an allocation of its size */
    uint8_t *pkt = malloc(len ? len : 1);
    uint8_t *got = malloc(want ? want : 1);
    if (!pkt || !got) {
        free(pkt);
        free(got);
        return 0;
    }
    memcpy(pkt, data + 2, len);

    int hello = ag_wire_hello(pkt, len, n);
    if (hello && (n != (ssize_t)sizeof(struct spp_agent_stop) || len != (size_t)n))
        abort();

    char err[TR_ERRBUF_LEN];
    struct spp_agent_stop stop;
    memset(err, 'x', sizeof err);
    switch (ag_wire_event(pkt, len, n, &stop, err)) {
    case AG_WIRE_STOP:
        if (stop.signo <= 0 || stop.signo > 64 || stop.magic != SPP_AGENT_MAGIC ||
            stop.kind != SPP_AGENT_STOP || len != sizeof stop)
            abort();
        break;
    case AG_WIRE_ERROR:
    case AG_WIRE_BAD:
        check_text(err);
        break;
    }

    int status = 12345;
    memset(err, 'x', sizeof err);
    if (ag_wire_reply(pkt, len, n, got, want, &status, err) == TR_OK) {
        struct spp_agent_reply r;
        if (len < sizeof r)
            abort();
        memcpy(&r, pkt, sizeof r);
        if (status != r.status)
            abort();
        if (status == 0 && (len != sizeof r + want || memcmp(got, pkt + sizeof r, want) != 0))
            abort();
        if (status != 0 && len != sizeof r)
            abort();
    } else {
        check_text(err);
    }
    free(pkt);
    free(got);
    return 0;
}
