/*
 * agent_wire.c - the agent's packets, checked (see agent_wire.h): magic,
 * kind, the exact size of each packet and of a reply's data, the signal
 * of a stop, an error text made printable.
 */
#include "targets/agent/agent_wire.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The bytes of the packet that buf holds. */
static size_t held(size_t cap, ssize_t n)
{
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap;
}

int ag_wire_hello(const void *buf, size_t cap, ssize_t n)
{
    struct spp_agent_stop hello;
    if (n != (ssize_t)sizeof hello || held(cap, n) != sizeof hello)
        return 0;
    memcpy(&hello, buf, sizeof hello);
    return hello.magic == SPP_AGENT_MAGIC && hello.kind == SPP_AGENT_HELLO;
}

/* Printable text of an ERROR packet into errbuf. */
static void agent_error(const void *buf, size_t n, char *errbuf)
{
    struct spp_agent_error e;
    memset(&e, 0, sizeof e);
    memcpy(&e, buf, n < sizeof e ? n : sizeof e);
    e.msg[sizeof e.msg - 1] = '\0';
    for (char *p = e.msg; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            *p = '?';
    snprintf(errbuf, TR_ERRBUF_LEN, "%s", e.msg[0] ? e.msg : "the agent gave up");
}

enum ag_wire_event ag_wire_event(const void *buf, size_t cap, ssize_t n,
                                 struct spp_agent_stop *stop, char *errbuf)
{
    size_t have = held(cap, n);
    uint32_t hdr[2] = {0, 0};
    if (have >= sizeof hdr)
        memcpy(hdr, buf, sizeof hdr);
    if (n < 0 || hdr[0] != SPP_AGENT_MAGIC) {
        snprintf(errbuf, TR_ERRBUF_LEN, "unreadable packet from the agent");
        return AG_WIRE_BAD;
    }
    if (hdr[1] == SPP_AGENT_ERROR && (size_t)n == sizeof(struct spp_agent_error) &&
        have == (size_t)n) {
        agent_error(buf, have, errbuf);
        return AG_WIRE_ERROR;
    }
    if (hdr[1] != SPP_AGENT_STOP || (size_t)n != sizeof *stop || have != (size_t)n) {
        snprintf(errbuf, TR_ERRBUF_LEN, "unexpected packet from the agent");
        return AG_WIRE_BAD;
    }
    memcpy(stop, buf, sizeof *stop);
    if (stop->signo <= 0 || stop->signo > 64) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the agent reported signal %d", (int)stop->signo);
        return AG_WIRE_BAD;
    }
    return AG_WIRE_STOP;
}

enum tr_err ag_wire_reply(const void *buf, size_t cap, ssize_t n, void *data, size_t want,
                          int *status, char *errbuf)
{
    struct spp_agent_reply r;
    size_t have = held(cap, n);
    if (n < (ssize_t)sizeof r || have < sizeof r) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the agent did not answer");
        return TR_ERR_PROTOCOL;
    }
    memcpy(&r, buf, sizeof r);
    if (r.magic != SPP_AGENT_MAGIC || r.kind != SPP_AGENT_REPLY ||
        (size_t)n != sizeof r + r.len || have != (size_t)n ||
        (r.status == 0 && r.len != want) || (r.status != 0 && r.len != 0)) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the agent's reply is malformed");
        return TR_ERR_PROTOCOL;
    }
    if (r.status == 0 && want)
        memcpy(data, (const char *)buf + sizeof r, want);
    *status = r.status;
    return TR_OK;
}
