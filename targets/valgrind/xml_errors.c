/*
 * xml_errors.c - memcheck's --xml stream (protocol 4) to tr_tool_error
 * records, with expat.
 *
 * Key idea: a record is only the <error> children of the root; everything
 * else (preamble, status, errorcounts, suppcounts) is skipped without
 * keeping text. Element meaning depends on the parent (<text> inside <xwhat>
 * is the what, inside <xauxwhat> an auxwhat), so each open element is
 * pushed with the meaning it got in its context, and unknown or misplaced
 * elements are pushed as OTHER: their subtree is ignored.
 * Layout (docs/internals/xml-output-protocol4.txt in valgrind):
 *   error: kind, (what | xwhat{text, leakedbytes, leakedblocks}), stack,
 *          then (auxwhat | xauxwhat{text} | stack)*; stack: frame{ip, fn,
 *          file, line, obj, dir}.
 */
#include "targets/valgrind/xml_errors_int.h"

#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

enum el {
    E_OTHER,
    E_ROOT,
    E_ERROR,
    E_KIND,
    E_WHAT,
    E_XWHAT,
    E_AUXWHAT,
    E_XAUXWHAT,
    E_STACK,
    E_FRAME,
    E_TEXT,
    E_LEAKEDBYTES,
    E_LEAKEDBLOCKS,
    E_IP,
    E_FN,
    E_FILE,
    E_LINE
};

struct vg_xml {
    XML_Parser p;
    struct vg_errs *out;
    int depth;
    enum el stack[MAX_DEPTH];
    int collect;
    char *text;
    size_t tlen, tcap;
    struct tr_tool_frame frame;
    uint64_t leak_bytes, leak_blocks;
    enum tr_err err;
    char *errbuf;
};

static enum el name_id(const char *n)
{
    static const struct {
        const char *name;
        enum el id;
    } names[] = {
        {"valgrindoutput", E_ROOT}, {"error", E_ERROR},
        {"kind", E_KIND},           {"what", E_WHAT},
        {"xwhat", E_XWHAT},         {"auxwhat", E_AUXWHAT},
        {"xauxwhat", E_XAUXWHAT},   {"stack", E_STACK},
        {"frame", E_FRAME},         {"text", E_TEXT},
        {"leakedbytes", E_LEAKEDBYTES}, {"leakedblocks", E_LEAKEDBLOCKS},
        {"ip", E_IP},               {"fn", E_FN},
        {"file", E_FILE},           {"line", E_LINE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(n, names[i].name) == 0)
            return names[i].id;
    return E_OTHER;
}

/* The meaning of element id opened under parent. */
static enum el in_context(enum el parent, enum el id)
{
    switch (id) {
    case E_ROOT:
        return E_OTHER; /* the root is only the outermost element */
    case E_ERROR:
        return parent == E_ROOT ? E_ERROR : E_OTHER;
    case E_KIND:
    case E_WHAT:
    case E_XWHAT:
    case E_AUXWHAT:
    case E_XAUXWHAT:
    case E_STACK:
        return parent == E_ERROR ? id : E_OTHER;
    case E_TEXT:
        return parent == E_XWHAT || parent == E_XAUXWHAT ? id : E_OTHER;
    case E_LEAKEDBYTES:
    case E_LEAKEDBLOCKS:
        return parent == E_XWHAT ? id : E_OTHER;
    case E_FRAME:
        return parent == E_STACK ? id : E_OTHER;
    case E_IP:
    case E_FN:
    case E_FILE:
    case E_LINE:
        return parent == E_FRAME ? id : E_OTHER;
    case E_OTHER:
        return E_OTHER;
    }
    return E_OTHER;
}

static int is_leaf(enum el id)
{
    switch (id) {
    case E_KIND:
    case E_WHAT:
    case E_AUXWHAT:
    case E_TEXT:
    case E_LEAKEDBYTES:
    case E_LEAKEDBLOCKS:
    case E_IP:
    case E_FN:
    case E_FILE:
    case E_LINE:
        return 1;
    case E_OTHER:
    case E_ROOT:
    case E_ERROR:
    case E_XWHAT:
    case E_XAUXWHAT:
    case E_STACK:
    case E_FRAME:
        return 0;
    }
    return 0;
}

static void fail(struct vg_xml *x, enum tr_err rc, const char *why)
{
    if (x->err)
        return;
    x->err = rc;
    if (why)
        snprintf(x->errbuf, TR_ERRBUF_LEN, "memcheck xml: %s", why);
    XML_StopParser(x->p, XML_FALSE);
}

/* Decimal or 0x-hex number filling the whole (trimmed) text. */
static int parse_u64(const char *s, int base, uint64_t *out)
{
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    if (!*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || end == s)
        return -1;
    while (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')
        end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static void check(struct vg_xml *x, enum tr_err rc)
{
    if (rc)
        fail(x, rc, NULL); /* the store wrote errbuf */
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct vg_xml *x = ud;
    (void)attrs;
    enum el parent = x->depth > 0 && x->depth <= MAX_DEPTH ? x->stack[x->depth - 1] : E_OTHER;
    enum el id = name_id(name);
    if (x->depth == 0)
        id = id == E_ROOT ? E_ROOT : E_OTHER;
    else
        id = id == E_ROOT ? E_OTHER : in_context(parent, id);
    x->depth++;
    if (x->depth > MAX_DEPTH) {
        fail(x, TR_ERR_PROTOCOL, "elements nested too deep");
        return;
    }
    x->stack[x->depth - 1] = id;
    x->collect = is_leaf(id);
    x->tlen = 0;
    switch (id) {
    case E_ERROR:
        x->leak_bytes = x->leak_blocks = 0;
        check(x, vg_errs_begin(x->out));
        break;
    case E_FRAME:
        memset(&x->frame, 0, sizeof x->frame);
        break;
    default:
        break;
    }
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct vg_xml *x = ud;
    if (!x->collect || len <= 0)
        return;
    if (x->tlen + (size_t)len + 1 > x->tcap) {
        size_t cap = x->tcap ? x->tcap : 256;
        while (x->tlen + (size_t)len + 1 > cap)
            cap *= 2;
        if (cap > VGM_XML_TEXT_MAX) {
            fail(x, TR_ERR_LIMIT, "an element's text is too long");
            return;
        }
        char *t = realloc(x->text, cap);
        if (!t) {
            fail(x, TR_ERR_NOMEM, "out of memory");
            return;
        }
        x->text = t;
        x->tcap = cap;
    }
    memcpy(x->text + x->tlen, s, (size_t)len);
    x->tlen += (size_t)len;
}

static void end_leaf(struct vg_xml *x, enum el id, enum el parent)
{
    const char *t = x->text ? x->text : "";
    size_t n = x->tlen;
    uint64_t v;
    if (x->text)
        x->text[n] = '\0';
    switch (id) {
    case E_KIND:
        check(x, vg_errs_text(x->out, VGM_F_KIND, t, n));
        break;
    case E_WHAT:
        check(x, vg_errs_text(x->out, VGM_F_WHAT, t, n));
        break;
    case E_AUXWHAT:
        check(x, vg_errs_text(x->out, VGM_F_AUXWHAT, t, n));
        break;
    case E_TEXT:
        check(x, vg_errs_text(x->out, parent == E_XWHAT ? VGM_F_WHAT : VGM_F_AUXWHAT, t, n));
        break;
    case E_LEAKEDBYTES:
    case E_LEAKEDBLOCKS:
        if (parse_u64(t, 10, &v) != 0) {
            fail(x, TR_ERR_PROTOCOL, "bad leak count");
            return;
        }
        if (id == E_LEAKEDBYTES)
            x->leak_bytes = v;
        else
            x->leak_blocks = v;
        break;
    case E_IP:
        if (parse_u64(t, 16, &v) != 0) {
            fail(x, TR_ERR_PROTOCOL, "bad frame ip");
            return;
        }
        x->frame.pc = v;
        break;
    case E_FN:
        check(x, vg_errs_strdup(x->out, t, n, &x->frame.fn));
        break;
    case E_FILE:
        check(x, vg_errs_strdup(x->out, t, n, &x->frame.file));
        break;
    case E_LINE:
        if (parse_u64(t, 10, &v) != 0 || v > 0x7fffffff) {
            fail(x, TR_ERR_PROTOCOL, "bad frame line");
            return;
        }
        x->frame.line = (int)v;
        break;
    default:
        break;
    }
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct vg_xml *x = ud;
    (void)name;
    if (x->depth <= 0 || x->depth > MAX_DEPTH)
        return;
    enum el id = x->stack[x->depth - 1];
    enum el parent = x->depth > 1 ? x->stack[x->depth - 2] : E_OTHER;
    if (is_leaf(id))
        end_leaf(x, id, parent);
    else if (id == E_FRAME)
        check(x, vg_errs_frame(x->out, &x->frame));
    else if (id == E_STACK)
        check(x, vg_errs_stack_end(x->out));
    else if (id == E_ERROR) {
        if (x->leak_bytes || x->leak_blocks)
            vg_errs_leak(x->out, x->leak_bytes, x->leak_blocks);
        check(x, vg_errs_end(x->out));
    }
    x->collect = 0;
    x->depth--;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    fail(ud, TR_ERR_PROTOCOL, "DOCTYPE is not allowed");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param,
                              const XML_Char *value, int value_len, const XML_Char *base,
                              const XML_Char *sysid, const XML_Char *pubid,
                              const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base;
    (void)sysid, (void)pubid, (void)notation;
    fail(ud, TR_ERR_PROTOCOL, "entity declarations are not allowed");
}

enum tr_err vg_xml_new(struct vg_errs *out, char *errbuf, struct vg_xml **px)
{
    struct vg_xml *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(errbuf, TR_ERRBUF_LEN, "out of memory");
        return TR_ERR_NOMEM;
    }
    x->p = XML_ParserCreate("UTF-8");
    if (!x->p) {
        free(x);
        snprintf(errbuf, TR_ERRBUF_LEN, "out of memory");
        return TR_ERR_NOMEM;
    }
    x->out = out;
    x->errbuf = errbuf;
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetEntityDeclHandler(x->p, on_entity);
    *px = x;
    return TR_OK;
}

void vg_xml_free(struct vg_xml *x)
{
    if (!x)
        return;
    XML_ParserFree(x->p);
    free(x->text);
    free(x);
}

enum tr_err vg_xml_feed(struct vg_xml *x, const char *buf, size_t len)
{
    if (x->err)
        return x->err;
    while (len > 0) {
        int n = len > (1u << 20) ? 1 << 20 : (int)len;
        if (XML_Parse(x->p, buf, n, XML_FALSE) != XML_STATUS_OK) {
            if (!x->err) {
                x->err = TR_ERR_PROTOCOL;
                snprintf(x->errbuf, TR_ERRBUF_LEN, "memcheck xml: %s at line %lu",
                         XML_ErrorString(XML_GetErrorCode(x->p)),
                         (unsigned long)XML_GetCurrentLineNumber(x->p));
            }
            vg_errs_abort(x->out);
            return x->err;
        }
        buf += n;
        len -= (size_t)n;
    }
    return TR_OK;
}
