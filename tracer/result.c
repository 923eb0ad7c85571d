/*
 * result.c - freeing a run's result, and whether it may be cached.
 */
#include "tracer/result.h"

#include <stdlib.h>

#include "dwarf/dw_index.h"

void tr_result_free(struct tr_result *res)
{
    if (!res)
        return;
    tr_enc_response_unprepare(res);
    tr_trace_free(res->trace);
    dw_index_close(res->index);
    free(res->cc_output);
    free(res);
}

int tr_result_cacheable(const struct tr_result *res)
{
    return res && res->ok && res->trace && !res->memcheck_partial &&
           (res->trace->outcome == TR_OUT_OK || res->trace->outcome == TR_OUT_COMPILE_ERROR);
}
