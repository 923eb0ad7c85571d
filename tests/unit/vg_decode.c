/*
 * vg_decode.c - the Valgrind target's decoders on their own, without
 * valgrind: memcheck's XML stream, monitor command text, and the GDB remote
 * protocol framing (over a socketpair standing in for vgdb). The inputs are
 * hostile: truncated, malformed and oversized ones must fail cleanly.
 */
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "targets/valgrind/errs_int.h"
#include "targets/valgrind/monitor_int.h"
#include "targets/valgrind/remote_int.h"
#include "targets/valgrind/xml_errors_int.h"

/* A memcheck XML stream as valgrind 3.19 writes it (abridged preamble). */
static const char XML[] =
    "<?xml version=\"1.0\"?>\n\n<valgrindoutput>\n\n"
    "<protocolversion>4</protocolversion>\n<protocoltool>memcheck</protocoltool>\n"
    "<preamble>\n  <line>Memcheck, a memory error detector</line>\n</preamble>\n"
    "<pid>5602</pid>\n<args><vargv><exe>/usr/bin/valgrind.bin</exe></vargv></args>\n"
    "<status>\n  <state>RUNNING</state>\n  <time>00:00:00:00.041 </time>\n</status>\n"
    "<error>\n  <unique>0x0</unique>\n  <tid>1</tid>\n  <kind>InvalidWrite</kind>\n"
    "  <what>Invalid write of size 4</what>\n  <stack>\n"
    "    <frame>\n      <ip>0x401180</ip>\n      <obj>/tmp/t1</obj>\n      <fn>fill</fn>\n"
    "      <dir>/tmp</dir>\n      <file>t1.c</file>\n      <line>8</line>\n    </frame>\n"
    "    <frame>\n      <ip>0x4011B9</ip>\n      <fn>main</fn>\n      <file>t1.c</file>\n"
    "      <line>13</line>\n    </frame>\n  </stack>\n"
    "  <auxwhat>Address 0x4a42054 is 0 bytes after a block of size 20 alloc'd</auxwhat>\n"
    "  <stack>\n    <frame>\n      <ip>0x48417B4</ip>\n"
    "      <obj>/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so</obj>\n"
    "      <fn>malloc</fn>\n    </frame>\n"
    "    <frame>\n      <ip>0x40115B</ip>\n      <fn>make</fn>\n      <file>t1.c</file>\n"
    "      <line>6</line>\n    </frame>\n  </stack>\n</error>\n\n"
    "<error>\n  <unique>0x1</unique>\n  <tid>1</tid>\n  <kind>InvalidRead</kind>\n"
    "  <what>Invalid read of size 4</what>\n  <stack>\n    <frame>\n"
    "      <ip>0x4011D0</ip>\n      <fn>use&lt;int&gt;</fn>\n    </frame>\n  </stack>\n"
    "  <auxwhat>Address 0x4a42044 is 4 bytes inside a block of size 20 free'd</auxwhat>\n"
    "  <stack>\n    <frame>\n      <ip>0x484426F</ip>\n      <fn>free</fn>\n"
    "    </frame>\n  </stack>\n"
    "  <auxwhat>Block was alloc'd at</auxwhat>\n"
    "  <stack>\n    <frame>\n      <ip>0x48417B4</ip>\n      <fn>malloc</fn>\n    </frame>\n"
    "    <frame>\n      <ip>0x40115B</ip>\n      <fn>make</fn>\n    </frame>\n  </stack>\n"
    "</error>\n\n"
    "<status>\n  <state>FINISHED</state>\n</status>\n"
    "<error>\n  <unique>0x2</unique>\n  <tid>1</tid>\n  <kind>Leak_DefinitelyLost</kind>\n"
    "  <xwhat>\n    <text>20 bytes in 1 blocks are definitely lost in loss record 1 of 1</text>\n"
    "    <leakedbytes>20</leakedbytes>\n    <leakedblocks>1</leakedblocks>\n  </xwhat>\n"
    "  <stack>\n    <frame>\n      <ip>0x48417B4</ip>\n      <fn>malloc</fn>\n    </frame>\n"
    "    <frame>\n      <ip>0x401137</ip>\n      <fn>leak</fn>\n      <file>t1.c</file>\n"
    "      <line>3</line>\n    </frame>\n  </stack>\n</error>\n\n"
    "<errorcounts>\n  <pair>\n    <count>1</count>\n    <unique>0x0</unique>\n  </pair>\n"
    "</errorcounts>\n<suppcounts>\n</suppcounts>\n</valgrindoutput>\n\n";

static void check_stream(const struct vg_errs *e)
{
    REQUIRE(e->n == 3);
    const struct tr_tool_error *w = &e->v[0];
    CHECK_STR(w->kind, "InvalidWrite");
    CHECK_STR(w->what, "Invalid write of size 4");
    CHECK_INT(w->size, 4);
    CHECK_INT(w->addr, 0x4a42054);
    REQUIRE(w->nstack == 2 && w->naux_stack == 2);
    CHECK_INT(w->stack[0].pc, 0x401180);
    CHECK_STR(w->stack[0].fn, "fill");
    CHECK_STR(w->stack[0].file, "t1.c");
    CHECK_INT(w->stack[0].line, 8);
    CHECK_STR(w->aux_stack[1].fn, "make");
    CHECK(w->aux_stack[0].file == NULL);
    CHECK_INT(w->nalloc_stack, 0);

    const struct tr_tool_error *r = &e->v[1];
    CHECK_STR(r->kind, "InvalidRead");
    CHECK_STR(r->stack[0].fn, "use<int>"); /* entities decoded */
    CHECK_STR(r->auxwhat, "Address 0x4a42044 is 4 bytes inside a block of size 20 free'd");
    REQUIRE(r->naux_stack == 1 && r->nalloc_stack == 2);
    CHECK_STR(r->aux_stack[0].fn, "free");
    CHECK_STR(r->alloc_stack[1].fn, "make");

    const struct tr_tool_error *l = &e->v[2];
    CHECK_STR(l->kind, "Leak_DefinitelyLost");
    CHECK_STR(l->what, "20 bytes in 1 blocks are definitely lost in loss record 1 of 1");
    CHECK_INT(l->size, 20);
    CHECK_INT(l->blocks, 1);
    CHECK_INT(l->addr, 0);
    REQUIRE(l->nstack == 2);
    CHECK_STR(l->stack[1].fn, "leak");
}

static void xml_whole(void)
{
    char eb[TR_ERRBUF_LEN] = "";
    struct vg_errs e;
    struct vg_xml *x;
    vg_errs_init(&e, eb);
    REQUIRE(vg_xml_new(&e, eb, &x) == TR_OK);
    CHECK_INT(vg_xml_feed(x, XML, strlen(XML)), TR_OK);
    check_stream(&e);
    vg_xml_free(x);
    vg_errs_free(&e);
}

/* Fed one byte at a time, records appear exactly when </error> arrives. */
static void xml_bytewise(void)
{
    char eb[TR_ERRBUF_LEN] = "";
    struct vg_errs e;
    struct vg_xml *x;
    vg_errs_init(&e, eb);
    REQUIRE(vg_xml_new(&e, eb, &x) == TR_OK);
    const char *first_end = strstr(XML, "</error>") + strlen("</error>");
    for (const char *p = XML; *p; p++) {
        REQUIRE(vg_xml_feed(x, p, 1) == TR_OK);
        if (p + 1 == first_end - 1)
            CHECK_INT(e.n, 0); /* not before the closing '>' */
        if (p + 1 == first_end)
            CHECK_INT(e.n, 1);
    }
    check_stream(&e);
    vg_xml_free(x);
    vg_errs_free(&e);
}

static enum tr_err feed_str(const char *s, struct vg_errs *e, char *eb)
{
    struct vg_xml *x;
    vg_errs_init(e, eb);
    if (vg_xml_new(e, eb, &x) != TR_OK)
        return TR_ERR_NOMEM;
    enum tr_err rc = vg_xml_feed(x, s, strlen(s));
    /* after a failure, every later feed fails too */
    if (rc != TR_OK && vg_xml_feed(x, "<a/>", 4) == TR_OK)
        rc = TR_OK;
    vg_xml_free(x);
    return rc;
}

static void xml_hostile(void)
{
    char eb[TR_ERRBUF_LEN] = "";
    struct vg_errs e;
    /* entity expansion needs a DOCTYPE: refused */
    CHECK_INT(feed_str("<?xml version=\"1.0\"?><!DOCTYPE v [<!ENTITY a \"aaaa\">]>"
                       "<valgrindoutput>&a;</valgrindoutput>",
                       &e, eb),
              TR_ERR_PROTOCOL);
    CHECK(strstr(eb, "DOCTYPE") != NULL);
    vg_errs_free(&e);
    /* not XML */
    CHECK_INT(feed_str("<valgrindoutput><error><kind>X</kind></oops>", &e, eb),
              TR_ERR_PROTOCOL);
    CHECK_INT(e.n, 0);
    vg_errs_free(&e);
    /* an error without a kind */
    CHECK_INT(feed_str("<valgrindoutput><error><what>w</what></error>", &e, eb),
              TR_ERR_PROTOCOL);
    vg_errs_free(&e);
    /* junk numbers */
    CHECK_INT(feed_str("<valgrindoutput><error><kind>K</kind><stack><frame><ip>0xZZ</ip>"
                       "</frame></stack></error>",
                       &e, eb),
              TR_ERR_PROTOCOL);
    vg_errs_free(&e);
    /* <error> only counts under the root; deep nesting is capped */
    CHECK_INT(feed_str("<valgrindoutput><x><error><kind>K</kind></error></x>", &e, eb), TR_OK);
    CHECK_INT(e.n, 0);
    vg_errs_free(&e);
    char deep[4096] = "<valgrindoutput>";
    size_t used = strlen(deep);
    for (int i = 0; i < 40; i++, used += 3)
        memcpy(deep + used, "<x>", 4);
    CHECK_INT(feed_str(deep, &e, eb), TR_ERR_PROTOCOL);
    vg_errs_free(&e);
    /* an oversized text is a limit, not a truncation */
    size_t big = VGM_XML_TEXT_MAX + 100;
    char *s = malloc(big + 64);
    REQUIRE(s);
    static const char head[] = "<valgrindoutput><error><kind>";
    memcpy(s, head, sizeof head - 1);
    memset(s + sizeof head - 1, 'k', big);
    s[sizeof head - 1 + big] = '\0';
    CHECK_INT(feed_str(s, &e, eb), TR_ERR_LIMIT);
    vg_errs_free(&e);
    free(s);
}

static void errs_limits(void)
{
    char eb[TR_ERRBUF_LEN] = "";
    struct vg_errs e;
    vg_errs_init(&e, eb);
    REQUIRE(vg_errs_begin(&e) == TR_OK);
    REQUIRE(vg_errs_text(&e, VGM_F_KIND, "K", 1) == TR_OK);
    struct tr_tool_frame f = {.pc = 1};
    enum tr_err rc = TR_OK;
    for (unsigned i = 0; i <= VGM_STACK_FRAMES && rc == TR_OK; i++)
        rc = vg_errs_frame(&e, &f);
    CHECK_INT(rc, TR_ERR_LIMIT);
    vg_errs_abort(&e);
    CHECK_INT(e.n, 0);
    vg_errs_free(&e);
}

static void mon_vbits(void)
{
    char eb[TR_ERRBUF_LEN];
    uint8_t out[40];
    size_t bad = 99;
    const char *t = "ffffffff 00ffffff ffffffff 00000000 00000000 00000000 00000000 00000000\n"
                    "ffffffff 0000ff00\n";
    REQUIRE(vg_mon_vbits(t, strlen(t), out, 40, &bad, eb) == TR_OK);
    CHECK_INT(bad, 0);
    CHECK_INT(out[0], 0xff);
    CHECK_INT(out[4], 0x00);
    CHECK_INT(out[5], 0xff);
    CHECK_INT(out[12], 0);
    CHECK_INT(out[38], 0xff);
    CHECK_INT(out[39], 0);
    /* unaddressable bytes read as defined, and are counted */
    const char *u = "____ff00\nAddress 0x0 len 4 has 2 bytes unaddressable\n";
    REQUIRE(vg_mon_vbits(u, strlen(u), out, 4, &bad, eb) == TR_OK);
    CHECK_INT(bad, 2);
    CHECK(out[0] == 0 && out[1] == 0 && out[2] == 0xff && out[3] == 0);
    CHECK_INT(vg_mon_vbits("ffff", 4, out, 4, &bad, eb), TR_ERR_PROTOCOL); /* short */
    CHECK_INT(vg_mon_vbits("zzzzzzzz", 8, out, 4, &bad, eb), TR_ERR_PROTOCOL);
}

static void mon_check(void)
{
    char eb[TR_ERRBUF_LEN];
    tr_addr bad = 0;
    int unaddr = 7;
    const char *ok = "Address 0x404040 len 4 defined\n Address 0x404040 is 0 bytes inside data "
                     "symbol \"g\"\n";
    REQUIRE(vg_mon_check(ok, strlen(ok), 0x404040, 4, &bad, &unaddr, eb) == TR_OK);
    CHECK(bad == 0x404044 && unaddr == 0);
    const char *undef = "Address 0x1FFEFFF9A0 len 16 not defined:\nUninitialised value at "
                        "0x1FFEFFF9A8\n Address 0x1ffefff9a0 is on thread 1's stack\n";
    REQUIRE(vg_mon_check(undef, strlen(undef), 0x1ffefff9a0, 16, &bad, &unaddr, eb) == TR_OK);
    CHECK(bad == 0x1ffefff9a8 && unaddr == 0);
    const char *na = "Address 0x1FFF000000 len 2048 not addressable:\nbad address 0x1FFF000010\n"
                     " Address 0x1fff000000 is on thread 1's stack\n";
    REQUIRE(vg_mon_check(na, strlen(na), 0x1fff000000, 2048, &bad, &unaddr, eb) == TR_OK);
    CHECK(bad == 0x1fff000010 && unaddr == 1);
    /* answers about another range, or outside it, or of another shape */
    CHECK_INT(vg_mon_check(ok, strlen(ok), 0x404000, 4, &bad, &unaddr, eb), TR_ERR_PROTOCOL);
    CHECK_INT(vg_mon_check(undef, strlen(undef), 0x1ffefff9a0, 8, &bad, &unaddr, eb),
              TR_ERR_PROTOCOL);
    CHECK_INT(vg_mon_check("", 0, 0, 4, &bad, &unaddr, eb), TR_ERR_PROTOCOL);
    const char *cut = "Address 0x10 len 4 not defined:\n";
    CHECK_INT(vg_mon_check(cut, strlen(cut), 0x10, 4, &bad, &unaddr, eb), TR_ERR_PROTOCOL);
}

static void mon_leaks(void)
{
    char eb[TR_ERRBUF_LEN] = "";
    struct vg_errs e;
    vg_errs_init(&e, eb);
    const char *t =
        "==3664== 1,024 bytes in 2 blocks are definitely lost in loss record 2 of 3\n"
        "==3664==    at 0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)\n"
        "==3664==    by 0x401137: lose (t3.c:3)\n"
        "==3664==    by 0x401160: main (t3.c:4)\n"
        "==3664== \n"
        "==3664== 48 (16 direct, 32 indirect) bytes in 1 blocks are definitely lost in loss record 3 of 3\n"
        "==3664==    at 0x4841F2F: operator new(unsigned long) (vg_replace_malloc.c:422)\n"
        "==3664==    by 0x4011AA: ??? (in /tmp/a.out)\n"
        "==3664== \n"
        "==3664== LEAK SUMMARY:\n"
        "==3664==    definitely lost: 1,072 bytes in 3 blocks\n";
    REQUIRE(vg_mon_leaks(t, strlen(t), &e) == TR_OK);
    REQUIRE(e.n == 2);
    CHECK_STR(e.v[0].kind, "Leak_DefinitelyLost");
    CHECK_INT(e.v[0].size, 1024);
    CHECK_INT(e.v[0].blocks, 2);
    REQUIRE(e.v[0].nstack == 3);
    CHECK_INT(e.v[0].stack[1].pc, 0x401137);
    CHECK_STR(e.v[0].stack[1].fn, "lose");
    CHECK_STR(e.v[0].stack[1].file, "t3.c");
    CHECK_INT(e.v[0].stack[1].line, 3);
    CHECK(e.v[0].stack[0].file == NULL);
    CHECK_INT(e.v[1].size, 48);
    REQUIRE(e.v[1].nstack == 2);
    CHECK_STR(e.v[1].stack[0].fn, "operator new(unsigned long)");
    CHECK_STR(e.v[1].stack[0].file, "vg_replace_malloc.c");
    CHECK(e.v[1].stack[1].fn == NULL);
    vg_errs_free(&e);
    /* no records: only a summary */
    const char *none = "==1== LEAK SUMMARY:\n==1==    definitely lost: 0 bytes in 0 blocks\n";
    REQUIRE(vg_mon_leaks(none, strlen(none), &e) == TR_OK);
    CHECK_INT(e.n, 0);
    vg_errs_free(&e);
}

/* ---- remote protocol over a socketpair ------------------------------------ */

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    CHECK_INT(write(fd, s, n), (long long)n);
}

static size_t get(int fd, char *buf, size_t cap)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 1000) <= 0)
        return 0;
    ssize_t n = read(fd, buf, cap - 1);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
    return (size_t)n;
}

/* Builds "$body#cs" for a body. */
static void frame(const char *body, char *out, size_t cap)
{
    unsigned sum = 0;
    for (const char *p = body; *p; p++)
        sum += (unsigned char)*p;
    snprintf(out, cap, "$%s#%02x", body, sum & 0xff);
}

static void remote_frames(void)
{
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    char eb[TR_ERRBUF_LEN] = "";
    struct vg_remote r;
    vg_remote_init(&r, sv[0], eb);
    char buf[256];
    int64_t dl = tr_now_ms() + 2000;

    /* ack mode: our frame, the peer's '+', then its reply, our '+' */
    put(sv[1], "+$OK#9a");
    REQUIRE(vg_remote_call(&r, "qSupported", dl) == TR_OK);
    CHECK_STR(r.pkt, "OK");
    char want[128];
    get(sv[1], buf, sizeof buf);
    frame("qSupported", want, sizeof want);
    REQUIRE(strlen(want) + 2 <= sizeof want);
    memcpy(want + strlen(want), "+", 2);
    CHECK_STR(buf, want);

    /* a '-' makes us send again */
    put(sv[1], "-+$OK#9a");
    REQUIRE(vg_remote_call(&r, "?", dl) == TR_OK);
    get(sv[1], buf, sizeof buf);
    CHECK_STR(buf, "$?#3f$?#3f+");

    /* a bad checksum in ack mode asks for the frame again */
    put(sv[1], "$OK#00$OK#9a");
    REQUIRE(vg_remote_recv(&r, dl) == TR_OK);
    CHECK_STR(r.pkt, "OK");
    get(sv[1], buf, sizeof buf);
    CHECK_STR(buf, "-+");

    vg_remote_free(&r);
    close(sv[0]);
    close(sv[1]);
}

static void remote_decode(void)
{
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    char eb[TR_ERRBUF_LEN] = "";
    struct vg_remote r;
    vg_remote_init(&r, sv[0], eb);
    r.noack = 1;
    int64_t dl = tr_now_ms() + 2000;
    char f[256], g[256];

    /* run-length: '0' then "* " = 32-29 = 3 more; '"' = 34-29 = 5 more */
    frame("O6869", f, sizeof f);
    frame("T05;10:0* 1*\"2", g, sizeof g);
    put(sv[1], f);
    put(sv[1], g);
    REQUIRE(vg_remote_call(&r, "c", dl) == TR_OK);
    CHECK_STR(r.pkt, "T05;10:00001111112");

    /* a frame split across reads, with stray bytes before it */
    frame("OK", f, sizeof f);
    put(sv[1], "xx");
    put(sv[1], "$O");
    CHECK_INT(vg_remote_recv(&r, tr_now_ms() + 50), TR_ERR_TIMEOUT);
    put(sv[1], f + 2);
    REQUIRE(vg_remote_recv(&r, dl) == TR_OK);
    CHECK_STR(r.pkt, "OK");

    /* bad checksum without acks is an error */
    put(sv[1], "$OK#00");
    CHECK_INT(vg_remote_recv(&r, dl), TR_ERR_PROTOCOL);

    /* RLE with nothing to repeat, or a count below 3 */
    frame("*#", f, sizeof f);
    put(sv[1], f);
    CHECK_INT(vg_remote_recv(&r, dl), TR_ERR_PROTOCOL);
    frame("a*\x1f", f, sizeof f);
    put(sv[1], f);
    CHECK_INT(vg_remote_recv(&r, dl), TR_ERR_PROTOCOL);

    /* binary escapes are undone on request only */
    char esc[] = "l}\x03}]x";
    CHECK_INT(vg_remote_unescape(esc, 6), 4);
    CHECK(memcmp(esc, "l#}x", 4) == 0);
    char lone[] = "ab}";
    CHECK(vg_remote_unescape(lone, 3) == (size_t)-1);

    /* payloads with frame characters are refused, and so is one over PacketSize */
    CHECK_INT(vg_remote_send(&r, "a#b", 3, dl), TR_ERR_BADREQ);
    char big[1024];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT(vg_remote_send(&r, big, strlen(big), dl), TR_ERR_BADREQ);

    /* a frame that never ends is capped */
    char *junk = malloc(VGM_FRAME_MAX + 16);
    REQUIRE(junk);
    memset(junk, 'a', VGM_FRAME_MAX + 15);
    junk[0] = '$';
    junk[VGM_FRAME_MAX + 15] = '\0';
    int fl = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &fl, sizeof fl);
    put(sv[1], junk);
    free(junk);
    CHECK_INT(vg_remote_recv(&r, dl), TR_ERR_PROTOCOL);

    /* the peer going away */
    vg_remote_free(&r);
    vg_remote_init(&r, sv[0], eb);
    close(sv[1]);
    CHECK_INT(vg_remote_recv(&r, dl), TR_ERR_GONE);
    vg_remote_free(&r);
    close(sv[0]);
}

TEST_MAIN(TEST(xml_whole), TEST(xml_bytewise), TEST(xml_hostile), TEST(errs_limits),
          TEST(mon_vbits), TEST(mon_check), TEST(mon_leaks), TEST(remote_frames), TEST(remote_decode))
