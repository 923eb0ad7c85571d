/*
 * enc_same.c - what the encoders decide alike: would two values encode to
 * the same text, and which variables are shown. The encoders
 * (enc_trace.c, enc_vgtrace.c) keep the text of each value from the step
 * before and reuse it when the value is the same: comparing two value
 * trees is far cheaper than printing one. The same pointer is the same
 * value (the value reader may hand an unchanged block to the next step).
 * Every field any format prints is compared (size: the vgtrace records).
 */
#include <string.h>

#include "tracer/enc_int.h"
#include "tracer/model.h"

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

int tr_enc_same_value(const struct tr_value *a, const struct tr_value *b)
{
    if (a == b)
        return 1;
    if (a->kind != b->kind || a->stext != b->stext || a->addr != b->addr || a->size != b->size ||
        a->nkids != b->nkids || a->ndims != b->ndims || a->target != b->target ||
        !same_str(a->type, b->type) || !same_str(a->text, b->text) ||
        !same_str(a->name, b->name))
        return 0;
    for (uint32_t i = 0; i < a->ndims; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    for (uint32_t i = 0; i < a->nkids; i++)
        if (!tr_enc_same_value(a->kids[i], b->kids[i]))
            return 0;
    return 1;
}

int tr_enc_var_shown(const struct tr_var *vars, uint32_t i)
{
    if (!vars[i].value)
        return 0;
    for (uint32_t k = 0; k < i; k++)
        if (vars[k].value && same_str(vars[k].name, vars[i].name))
            return 0;
    return 1;
}

int tr_enc_names_put(struct tr_enc_buf *b, const struct tr_var *vars, uint32_t n)
{
    int bad = TR_ENC_LIT(b, "["), first = 1;
    for (uint32_t i = 0; i < n && !bad; i++) {
        if (!tr_enc_var_shown(vars, i))
            continue;
        bad |= (!first && TR_ENC_LIT(b, ",")) || tr_enc_buf_str(b, vars[i].name);
        first = 0;
    }
    return bad || TR_ENC_LIT(b, "]") ? -1 : 0;
}
