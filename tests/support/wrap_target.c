/*
 * wrap_target.c - a counting, deadline-faking target in front of another
 * (see wrap_target.h).
 */
#include "tests/support/wrap_target.h"

#include <stdlib.h>

struct wrap {
    struct tr_target_ops ops; /* the wrapper's table: t->ops points here */
    struct tr_target *inner;
    struct wrap_counts *n;
};

static enum tr_err w_resume(void *st, enum tr_resume how, int signo)
{
    struct wrap *w = st;
    return w->inner->ops->resume(w->inner->state, how, signo);
}

static enum tr_err w_wait(void *st, int64_t deadline_ms, struct tr_stop *out)
{
    struct wrap *w = st;
    if (++w->n->waits == w->n->timeout_at)
        return TR_ERR_TIMEOUT;
    enum tr_err rc = w->inner->ops->wait(w->inner->state, deadline_ms, out);
    if (rc == TR_OK)
        w->n->stops++;
    return rc;
}

static enum tr_err w_read(void *st, tr_addr addr, void *buf, size_t len)
{
    struct wrap *w = st;
    return w->inner->ops->read_mem(w->inner->state, addr, buf, len);
}

static enum tr_err w_regs(void *st, struct tr_regs *out)
{
    struct wrap *w = st;
    return w->inner->ops->get_regs(w->inner->state, out);
}

static enum tr_err w_fpregs(void *st, struct tr_fpregs *out)
{
    struct wrap *w = st;
    return w->inner->ops->get_fpregs(w->inner->state, out);
}

static enum tr_err w_insert(void *st, tr_addr addr)
{
    struct wrap *w = st;
    w->n->bps_planted++;
    return w->inner->ops->insert_bp(w->inner->state, addr);
}

static enum tr_err w_remove(void *st, tr_addr addr)
{
    struct wrap *w = st;
    return w->inner->ops->remove_bp(w->inner->state, addr);
}

static void w_kill(void *st)
{
    struct wrap *w = st;
    w->n->kills++;
    w->inner->ops->kill(w->inner->state);
}

static void w_destroy(void *st)
{
    struct wrap *w = st;
    tr_target_destroy(w->inner);
    free(w);
}

struct tr_target *wrap_target(struct tr_target *inner, struct wrap_counts *counts)
{
    struct tr_target *t = calloc(1, sizeof *t);
    struct wrap *w = calloc(1, sizeof *w);
    if (!t || !w) {
        free(t);
        free(w);
        tr_target_destroy(inner);
        return NULL;
    }
    *counts = (struct wrap_counts){.timeout_at = counts->timeout_at};
    w->inner = inner;
    w->n = counts;
    w->ops = (struct tr_target_ops){
        .name = inner->ops->name,
        .caps = inner->ops->caps & ~(unsigned)(TR_CAP_VBITS | TR_CAP_WRITE_MEM),
        .resume = w_resume,
        .wait = w_wait,
        .read_mem = w_read,
        .get_regs = w_regs,
        .get_fpregs = inner->ops->get_fpregs ? w_fpregs : NULL,
        .insert_bp = w_insert,
        .remove_bp = w_remove,
        .kill = w_kill,
        .destroy = w_destroy,
    };
    t->ops = &w->ops;
    t->state = w;
    return t;
}
