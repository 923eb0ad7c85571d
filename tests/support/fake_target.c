/*
 * fake_target.c - see fake_target.h. Implements the same ops table as the
 * real backends; stops are not scripted (resume/wait report an exit).
 * Memory is page-granular like a process's: mapping bytes maps their whole
 * 4 KiB pages (zero elsewhere), and a read fails if it touches any page
 * that was never mapped.
 */
#include "tests/support/fake_target.h"

#include <stdlib.h>
#include <string.h>

#define MAX_REGIONS 256
#define PAGE 4096u

struct region { /* one page */
    tr_addr addr;
    size_t len;
    uint8_t *bytes;
    uint8_t *vbits;   /* NULL: all defined */
    uint8_t *noaccess; /* NULL: all addressable */
};

struct fake {
    struct region r[MAX_REGIONS];
    size_t n;
    struct tr_regs regs;
    size_t reads;
    size_t checks, vbits_bytes;
};

static enum tr_err f_resume(void *st, enum tr_resume how, int signo)
{
    (void)st;
    (void)how;
    (void)signo;
    return TR_OK;
}

static enum tr_err f_wait(void *st, int64_t deadline, struct tr_stop *out)
{
    (void)st;
    (void)deadline;
    out->kind = TR_STOP_EXITED;
    out->status = 0;
    return TR_OK;
}

static struct region *page_of(struct fake *f, tr_addr a)
{
    tr_addr base = a & ~(tr_addr)(PAGE - 1);
    for (size_t i = 0; i < f->n; i++)
        if (f->r[i].addr == base)
            return &f->r[i];
    return NULL;
}

/* Copy between buf and pages; -1 when a page is not mapped. */
static int copy(struct fake *f, tr_addr a, uint8_t *buf, size_t len, int to_target)
{
    while (len) {
        struct region *r = page_of(f, a);
        if (!r)
            return -1;
        size_t off = (size_t)(a - r->addr), n = PAGE - off < len ? PAGE - off : len;
        if (to_target)
            memcpy(r->bytes + off, buf, n);
        else
            memcpy(buf, r->bytes + off, n);
        a += n;
        buf += n;
        len -= n;
    }
    return 0;
}

static enum tr_err f_read(void *st, tr_addr a, void *buf, size_t len)
{
    struct fake *f = st;
    f->reads++;
    return copy(f, a, buf, len, 0) == 0 ? TR_OK : TR_ERR_MEM;
}

static enum tr_err f_write(void *st, tr_addr a, const void *buf, size_t len)
{
    return copy(st, a, (uint8_t *)buf, len, 1) == 0 ? TR_OK : TR_ERR_MEM;
}

static enum tr_err f_regs(void *st, struct tr_regs *out)
{
    *out = ((struct fake *)st)->regs;
    return TR_OK;
}

static enum tr_err f_bp(void *st, tr_addr a)
{
    (void)st;
    (void)a;
    return TR_OK;
}

static void f_kill(void *st)
{
    (void)st;
}

static void f_destroy(void *st)
{
    struct fake *f = st;
    for (size_t i = 0; i < f->n; i++) {
        free(f->r[i].bytes);
        free(f->r[i].vbits);
        free(f->r[i].noaccess);
    }
    free(f);
}

/* Memcheck's view of byte a: -1 unaddressable (or unmapped), else its
   V-bits. */
static int byte_state(struct fake *f, tr_addr a)
{
    struct region *r = page_of(f, a);
    if (!r)
        return -1;
    size_t off = (size_t)(a - r->addr);
    if (r->noaccess && r->noaccess[off])
        return -1;
    return r->vbits ? r->vbits[off] : 0;
}

static enum tr_err f_read_vbits(void *st, tr_addr a, uint8_t *out, size_t len)
{
    struct fake *f = st;
    size_t bad = 0;
    f->vbits_bytes += len;
    for (size_t i = 0; i < len; i++) {
        int b = byte_state(f, a + i);
        out[i] = b < 0 ? 0 : (uint8_t)b;
        bad += b < 0;
    }
    return bad == len ? TR_ERR_MEM : TR_OK;
}

static enum tr_err f_check_defined(void *st, tr_addr a, size_t len, tr_addr *bad, int *unaddr)
{
    struct fake *f = st;
    f->checks++;
    for (size_t i = 0; i < len; i++) {
        int b = byte_state(f, a + i);
        if (b != 0) {
            *bad = a + i;
            *unaddr = b < 0;
            return TR_OK;
        }
    }
    *bad = a + len;
    *unaddr = 0;
    return TR_OK;
}

static const struct tr_target_ops fake_ops = {
    .name = "fake",
    .caps = TR_CAP_WRITE_MEM,
    .resume = f_resume,
    .wait = f_wait,
    .read_mem = f_read,
    .write_mem = f_write,
    .get_regs = f_regs,
    .get_fpregs = NULL,
    .insert_bp = f_bp,
    .remove_bp = f_bp,
    .read_vbits = NULL,
    .kill = f_kill,
    .destroy = f_destroy,
};

static const struct tr_target_ops fake_vbits_ops = {
    .name = "fake-memcheck",
    .caps = TR_CAP_WRITE_MEM | TR_CAP_VBITS,
    .resume = f_resume,
    .wait = f_wait,
    .read_mem = f_read,
    .write_mem = f_write,
    .get_regs = f_regs,
    .get_fpregs = NULL,
    .insert_bp = f_bp,
    .remove_bp = f_bp,
    .read_vbits = f_read_vbits,
    .check_defined = f_check_defined,
    .kill = f_kill,
    .destroy = f_destroy,
};

struct tr_target *fake_target_new_vbits(void)
{
    struct tr_target *t = fake_target_new();
    if (t)
        t->ops = &fake_vbits_ops;
    return t;
}

/* Per-byte shadow of one kind for [a, a+len): vbits (which = 0) or
   noaccess (1); bits NULL sets every byte to 1. */
static int set_shadow(struct tr_target *t, tr_addr a, const uint8_t *bits, size_t len, int which)
{
    struct fake *f = t->state;
    for (size_t i = 0; i < len; i++) {
        struct region *r = page_of(f, a + i);
        if (!r)
            return -1;
        uint8_t **sh = which ? &r->noaccess : &r->vbits;
        if (!*sh && !(*sh = calloc(1, PAGE)))
            return -1;
        (*sh)[a + i - r->addr] = bits ? bits[i] : 1;
    }
    return 0;
}

int fake_target_set_vbits(struct tr_target *t, tr_addr addr, const uint8_t *bits, size_t len)
{
    return set_shadow(t, addr, bits, len, 0);
}

int fake_target_noaccess(struct tr_target *t, tr_addr addr, size_t len)
{
    return set_shadow(t, addr, NULL, len, 1);
}

size_t fake_target_checks(const struct tr_target *t)
{
    return ((const struct fake *)t->state)->checks;
}

size_t fake_target_vbits_bytes(const struct tr_target *t)
{
    return ((const struct fake *)t->state)->vbits_bytes;
}

struct tr_target *fake_target_new(void)
{
    struct tr_target *t = calloc(1, sizeof *t);
    struct fake *f = calloc(1, sizeof *f);
    if (!t || !f) {
        free(t);
        free(f);
        return NULL;
    }
    t->ops = &fake_ops;
    t->state = f;
    return t;
}

int fake_target_map(struct tr_target *t, tr_addr addr, const void *bytes, size_t len)
{
    struct fake *f = t->state;
    for (tr_addr p = addr & ~(tr_addr)(PAGE - 1); p < addr + len; p += PAGE) {
        if (page_of(f, p))
            continue;
        if (f->n == MAX_REGIONS)
            return -1;
        uint8_t *page = calloc(1, PAGE);
        if (!page)
            return -1;
        f->r[f->n++] = (struct region){p, PAGE, page, NULL, NULL};
    }
    return copy(f, addr, (uint8_t *)bytes, len, 1);
}

void fake_target_set_regs(struct tr_target *t, const struct tr_regs *r)
{
    ((struct fake *)t->state)->regs = *r;
}

size_t fake_target_reads(const struct tr_target *t)
{
    return ((const struct fake *)t->state)->reads;
}
