/*
 * monitor.c - decoders of memcheck monitor command output (get_vbits,
 * leak_check), which valgrind's gdbserver returns as console text.
 *
 * Key idea: parse the exact shapes memcheck prints (mc_main.c, mc_errors.c
 * of valgrind 3.19) and refuse anything else, rather than guess: text
 * numbers carry thousands separators ("1,024 bytes"), lines carry a
 * "==pid== " prefix, and a frame's location is the last parenthesised
 * group because C++ function names contain parentheses themselves.
 */
#include "targets/valgrind/monitor_int.h"

#include <stdio.h>
#include <string.h>

#include "targets/valgrind/remote_int.h"

enum tr_err vg_mon_vbits(const char *text, size_t len, uint8_t *out, size_t n,
                         size_t *unaddressable, char *errbuf)
{
    size_t got = 0, i = 0, bad = 0;
    while (got < n) {
        while (i < len && (text[i] == ' ' || text[i] == '\n'))
            i++;
        if (i + 2 > len)
            break;
        if (text[i] == '_' && text[i + 1] == '_') {
            bad++;
            out[got] = 0; /* see read_vbits in target.h */
        } else if (vg_hex_decode(text + i, &out[got], 1) != 0) {
            break;
        }
        got++;
        i += 2;
    }
    if (got < n) {
        snprintf(errbuf, TR_ERRBUF_LEN, "get_vbits: unexpected output after %zu of %zu bytes",
                 got, n);
        return TR_ERR_PROTOCOL;
    }
    *unaddressable = bad;
    return TR_OK;
}

/* "0x1FFF0001A4" (any case) at s; -1 when s is not that. */
static int hex_addr(const char *s, const char *end, tr_addr *out)
{
    if (end - s < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return -1;
    tr_addr v = 0;
    const char *p = s + 2;
    int digits = 0;
    for (; p < end && vg_hexval((unsigned char)*p) >= 0; p++, digits++) {
        if (digits == 16)
            return -1;
        v = v << 4 | (tr_addr)vg_hexval((unsigned char)*p);
    }
    if (!digits)
        return -1;
    *out = v;
    return 0;
}

/* The text after the first occurrence of key in [s, end), or NULL. */
static const char *after_key(const char *s, const char *end, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = s; p + k <= end; p++)
        if (memcmp(p, key, k) == 0)
            return p + k;
    return NULL;
}

enum tr_err vg_mon_check(const char *text, size_t len, tr_addr addr, size_t n, tr_addr *bad,
                         int *unaddr, char *errbuf)
{
    const char *end = text + len;
    const char *nl = memchr(text, '\n', len);
    const char *eol = nl ? nl : end;
    const char *p;
    tr_addr a;
    /* "Address 0x.. len N defined" | "... not defined:" | "... not addressable:" */
    if (!(p = after_key(text, eol, "Address ")) || hex_addr(p, eol, &a) != 0 || a != addr)
        goto bad;
    if (eol - text >= 8 && memcmp(eol - 8, " defined", 8) == 0 &&
        !after_key(text, eol, "not defined")) {
        *bad = addr + n;
        *unaddr = 0;
        return TR_OK;
    }
    const char *key = after_key(text, eol, "not defined:") ? "Uninitialised value at "
                      : after_key(text, eol, "not addressable:") ? "bad address "
                                                                   : NULL;
    if (!key || !nl || !(p = after_key(nl + 1, end, key)) || hex_addr(p, end, &a) != 0 ||
        a < addr || a >= addr + n)
        goto bad;
    *bad = a;
    *unaddr = key[0] == 'b';
    return TR_OK;
bad:
    /* text is len bytes, not a C string: never read past them */
    snprintf(errbuf, TR_ERRBUF_LEN, "check_memory: unexpected output \"%.*s\"",
             (int)(len < 40 ? len : 40), text);
    return TR_ERR_PROTOCOL;
}

/* One line of text without its "==pid== " prefix and leading blanks. */
struct line {
    const char *s;
    size_t n;
};

static struct line strip_line(const char *s, size_t n)
{
    if (n >= 4 && s[0] == '=' && s[1] == '=') {
        size_t i = 2;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i + 1 < n && s[i] == '=' && s[i + 1] == '=' && i > 2) {
            i += 2;
            s += i;
            n -= i;
        }
    }
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
        n--;
    return (struct line){s, n};
}

/* A decimal with optional thousands separators at *pos; advances it. */
static int number(struct line l, size_t *pos, uint64_t *out)
{
    size_t i = *pos;
    uint64_t v = 0;
    int digits = 0;
    while (i < l.n && ((l.s[i] >= '0' && l.s[i] <= '9') || (l.s[i] == ',' && digits))) {
        if (l.s[i] != ',') {
            if (v > (UINT64_MAX - 9) / 10)
                return -1;
            v = v * 10 + (uint64_t)(l.s[i] - '0');
            digits++;
        }
        i++;
    }
    if (!digits)
        return -1;
    *pos = i;
    *out = v;
    return 0;
}

/* Skips " (...)" (the direct/indirect split or a delta) at *pos. */
static void skip_group(struct line l, size_t *pos)
{
    size_t i = *pos;
    if (i + 1 < l.n && l.s[i] == ' ' && l.s[i + 1] == '(') {
        const char *close = memchr(l.s + i, ')', l.n - i);
        if (close)
            *pos = (size_t)(close - l.s) + 1;
    }
}

static int literal(struct line l, size_t *pos, const char *lit)
{
    size_t k = strlen(lit);
    if (*pos + k > l.n || memcmp(l.s + *pos, lit, k) != 0)
        return -1;
    *pos += k;
    return 0;
}

static const struct {
    const char *text, *kind;
} KINDS[] = {
    {"definitely lost", "Leak_DefinitelyLost"},
    {"indirectly lost", "Leak_IndirectlyLost"},
    {"possibly lost", "Leak_PossiblyLost"},
    {"still reachable", "Leak_StillReachable"},
};

/* "N [(..)] bytes in M [(..)] blocks are <kind> in loss record i of n" */
static int leak_header(struct line l, uint64_t *bytes, uint64_t *blocks, const char **kind)
{
    size_t i = 0;
    if (number(l, &i, bytes))
        return -1;
    skip_group(l, &i);
    if (literal(l, &i, " bytes in ") || number(l, &i, blocks))
        return -1;
    skip_group(l, &i);
    if (literal(l, &i, " blocks are "))
        return -1;
    for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++) {
        size_t j = i;
        if (literal(l, &j, KINDS[k].text) == 0 && literal(l, &j, " in loss record ") == 0) {
            *kind = KINDS[k].kind;
            return 0;
        }
    }
    return -1;
}

/* "at 0x48417B4: malloc (in /usr/...so)" / "by 0x401137: lose (t3.c:3)" */
static enum tr_err leak_frame(struct vg_errs *out, struct line l, int *is_frame)
{
    size_t i = 0;
    struct tr_tool_frame f = {0};
    *is_frame = 0;
    if (literal(l, &i, "at 0x") && literal(l, &i, "by 0x"))
        return TR_OK;
    uint64_t pc = 0;
    int digits = 0;
    while (i < l.n && vg_hexval((unsigned char)l.s[i]) >= 0) {
        if (pc >> 60)
            return TR_OK;
        pc = pc << 4 | (uint64_t)vg_hexval((unsigned char)l.s[i++]);
        digits++;
    }
    if (!digits || literal(l, &i, ": "))
        return TR_OK;
    *is_frame = 1;
    f.pc = pc;
    const char *fn = l.s + i;
    size_t fn_len = l.n - i;
    if (fn_len > 0 && fn[fn_len - 1] == ')') {
        /* the last " (" opens the location */
        for (size_t k = fn_len - 1; k >= 1; k--) {
            if (fn[k] == '(' && fn[k - 1] == ' ') {
                const char *loc = fn + k + 1;
                size_t loc_len = fn_len - k - 2;
                fn_len = k - 1;
                if (!(loc_len >= 3 && memcmp(loc, "in ", 3) == 0)) {
                    const char *colon = NULL;
                    for (size_t c = 0; c < loc_len; c++)
                        if (loc[c] == ':')
                            colon = loc + c;
                    if (colon) {
                        int line = 0;
                        for (const char *d = colon + 1; d < loc + loc_len; d++) {
                            if (*d < '0' || *d > '9' || line > 100000000) {
                                line = -1;
                                break;
                            }
                            line = line * 10 + (*d - '0');
                        }
                        if (line > 0) {
                            f.line = line;
                            enum tr_err rc =
                                vg_errs_strdup(out, loc, (size_t)(colon - loc), &f.file);
                            if (rc)
                                return rc;
                        }
                    }
                }
                break;
            }
        }
    }
    if (fn_len > 0 && !(fn_len == 3 && memcmp(fn, "???", 3) == 0)) {
        enum tr_err rc = vg_errs_strdup(out, fn, fn_len, &f.fn);
        if (rc)
            return rc;
    }
    return vg_errs_frame(out, &f);
}

enum tr_err vg_mon_leaks(const char *text, size_t len, struct vg_errs *out)
{
    size_t pos = 0;
    int in_record = 0;
    enum tr_err rc = TR_OK;
    while (pos < len && rc == TR_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        struct line l = strip_line(text + pos, n);
        pos += n + (nl ? 1 : 0);

        uint64_t bytes, blocks;
        const char *kind;
        if (leak_header(l, &bytes, &blocks, &kind) == 0) {
            if (in_record && ((rc = vg_errs_stack_end(out)) || (rc = vg_errs_end(out))))
                break;
            if ((rc = vg_errs_begin(out)) || (rc = vg_errs_text(out, VGM_F_KIND, kind, strlen(kind))))
                break;
            /* the header line, as the XML's <text> has it */
            rc = vg_errs_text(out, VGM_F_WHAT, l.s, l.n);
            vg_errs_leak(out, bytes, blocks);
            in_record = 1;
            continue;
        }
        if (!in_record)
            continue;
        int is_frame;
        rc = leak_frame(out, l, &is_frame);
        if (rc == TR_OK && !is_frame) {
            /* a blank line or the summary ends the record's stack */
            if ((rc = vg_errs_stack_end(out)) || (rc = vg_errs_end(out)))
                break;
            in_record = 0;
        }
    }
    if (rc == TR_OK && in_record && !(rc = vg_errs_stack_end(out)))
        rc = vg_errs_end(out);
    if (rc)
        vg_errs_abort(out);
    return rc;
}
