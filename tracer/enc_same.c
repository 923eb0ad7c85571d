/*
 * enc_same.c - would two values encode to the same text? The encoders
 * (enc_trace.c, enc_vgtrace.c) keep the text of each value from the step
 * before and reuse it when the value is the same: comparing two value
 * trees is far cheaper than printing one. The same pointer is the same
 * value (the value reader may hand an unchanged block to the next step).
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
    if (a->kind != b->kind || a->stext != b->stext || a->addr != b->addr ||
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
