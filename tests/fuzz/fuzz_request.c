/*
 * fuzz_request.c - libFuzzer harness for the request parser
 * (tracer/request.c): the JSON body every front door takes from the
 * network, as is.
 *
 *   tests/sh/test_fuzz.sh builds and runs it (clang, -fsanitize=fuzzer,
 *   address,undefined) from tests/fuzz/corpus/request for a bounded time,
 *   after replaying tests/fuzz/regressions/request.
 *
 * Invariants checked: a parse either fails with a message or yields a
 * request within every documented bound (code 1..128 KiB, not blank, its
 * length true; stdin within 1 MiB; maxSteps 1..10000; timeoutMs 0..30000;
 * known language and format); the canonical text of a parsed request is
 * JSON and the same for the same input.
 */
#include "tracer/request.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_request r;
    char err[TR_ERRBUF_LEN];
    err[0] = '\0';
    if (tr_request_parse((const char *)data, size, &r, err) != TR_OK) {
        if (err[0] == '\0' || strnlen(err, sizeof err) == sizeof err)
            abort(); /* every refusal says why, in bounds */
        return 0;
    }
    if (!r.code || r.code_len == 0 || r.code_len > TR_CODE_MAX ||
        strlen(r.code) != r.code_len || strspn(r.code, " \t\r\n") == r.code_len)
        abort();
    if (r.stdin_data && (r.stdin_len > TR_STDIN_MAX || strlen(r.stdin_data) != r.stdin_len))
        abort();
    if (r.max_steps < TR_MAX_STEPS_MIN || r.max_steps > TR_MAX_STEPS_MAX ||
        r.timeout_ms < 0 || r.timeout_ms > TR_LIMIT_WALL_MEMCHECK_MS)
        abort();
    if ((r.lang != TR_LANG_C && r.lang != TR_LANG_CXX) ||
        (r.format != TR_FMT_SEEPP && r.format != TR_FMT_OPT))
        abort();
    char *a = tr_request_canonical(&r), *b = tr_request_canonical(&r);
    if (!a || !b || strcmp(a, b) != 0)
        abort();
    cJSON *o = cJSON_Parse(a);
    if (!o)
        abort();
    cJSON_Delete(o);
    free(a);
    free(b);
    tr_request_free(&r);
    return 0;
}
