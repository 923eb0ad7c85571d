/*
 * target.c - the wrappers every caller of a target goes through: argument
 * checks and the rules shared by all backends (see target.h).
 */
#include "tracer/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum tr_err tr_target_resume(struct tr_target *t, enum tr_resume how, int signo)
{
    if (how == TR_RESUME_STEP && !(t->ops->caps & TR_CAP_SINGLESTEP))
        return TR_ERR_UNSUPPORTED;
    if (signo < 0 || signo > 64)
        return TR_ERR_BADREQ;
    return t->ops->resume(t->state, how, signo);
}

enum tr_err tr_target_wait(struct tr_target *t, int64_t deadline_ms, struct tr_stop *out)
{
    memset(out, 0, sizeof *out);
    return t->ops->wait(t->state, deadline_ms, out);
}

enum tr_err tr_target_read(struct tr_target *t, tr_addr addr, void *buf, size_t len)
{
    if (len == 0)
        return TR_OK;
    if (addr + len < addr)
        return TR_ERR_MEM;
    return t->ops->read_mem(t->state, addr, buf, len);
}

enum tr_err tr_target_write(struct tr_target *t, tr_addr addr, const void *buf, size_t len)
{
    if (!t->ops->write_mem)
        return TR_ERR_UNSUPPORTED;
    if (len == 0)
        return TR_OK;
    return t->ops->write_mem(t->state, addr, buf, len);
}

enum tr_err tr_target_regs(struct tr_target *t, struct tr_regs *out)
{
    return t->ops->get_regs(t->state, out);
}

enum tr_err tr_target_fpregs(struct tr_target *t, struct tr_fpregs *out)
{
    if (!t->ops->get_fpregs)
        return TR_ERR_UNSUPPORTED;
    return t->ops->get_fpregs(t->state, out);
}

enum tr_err tr_target_insert_bp(struct tr_target *t, tr_addr addr)
{
    if (addr == 0)
        return TR_ERR_BADREQ;
    return t->ops->insert_bp(t->state, addr);
}

enum tr_err tr_target_remove_bp(struct tr_target *t, tr_addr addr)
{
    return t->ops->remove_bp(t->state, addr);
}

enum tr_err tr_target_vbits(struct tr_target *t, tr_addr addr, uint8_t *out, size_t len)
{
    if (!(t->ops->caps & TR_CAP_VBITS) || !t->ops->read_vbits)
        return TR_ERR_UNSUPPORTED;
    if (len == 0)
        return TR_OK;
    return t->ops->read_vbits(t->state, addr, out, len);
}

enum tr_err tr_target_check_defined(struct tr_target *t, tr_addr addr, size_t len, tr_addr *bad,
                                    int *unaddr)
{
    if (!(t->ops->caps & TR_CAP_VBITS) || !t->ops->check_defined)
        return TR_ERR_UNSUPPORTED;
    if (len == 0 || addr + len < addr) {
        *bad = addr + len;
        *unaddr = 0;
        return len == 0 ? TR_OK : TR_ERR_MEM;
    }
    tr_addr b = addr + len;
    int u = 0;
    enum tr_err rc = t->ops->check_defined(t->state, addr, len, &b, &u);
    if (rc == TR_OK && (b < addr || b > addr + len)) {
        snprintf(t->errbuf, TR_ERRBUF_LEN, "check_defined answered outside the range");
        return TR_ERR_PROTOCOL;
    }
    if (rc == TR_OK) {
        *bad = b;
        *unaddr = b < addr + len && u;
    }
    return rc;
}

int tr_target_has(const struct tr_target *t, unsigned cap)
{
    return (t->ops->caps & cap) == cap;
}

void tr_target_kill(struct tr_target *t)
{
    if (t)
        t->ops->kill(t->state);
}

void tr_target_destroy(struct tr_target *t)
{
    if (!t)
        return;
    t->ops->destroy(t->state);
    free(t);
}
