/*
 * fuzz_events.c - libFuzzer harness for the Lambda event adapters, which
 * parse hostile invocation payloads (lambda/events.c): classification,
 * base64 bodies, and wrapping a reply for the event's shape.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *       tests/fuzz/fuzz_events.c lambda/events.c lambda/handler.c lambda/buf.c \
 *       lambda/cache.c lambda/s3.c lambda/sigv4.c lambda/err.c tracer/request.c \
 *       tracer/err.c -DSPP_VERSION='"fuzz"' -lcjson -lcurl -lcrypto -o fuzz_events
 *   ./fuzz_events -max_total_time=60
 *
 * Invariants checked: a parse never fails but for memory; a decoded body is
 * NUL-terminated at its length; every reply to a proxy event is JSON.
 */
#include "lambda/events.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lam_event ev;
    struct lam_invoke_reply r;
    char *out = NULL;
    size_t n = 0;

    if (lam_base64_decode((const char *)data, size, &out, &n) == LAM_OK) {
        if (out[n] != '\0')
            abort();
        free(out);
    }
    if (lam_event_parse((const char *)data, size, &ev) != LAM_OK)
        return 0;
    if (ev.body && ev.body[ev.body_len] != '\0')
        abort();
    if (lam_event_reply(&ev, 200, ev.body, ev.body ? ev.body_len : 0, "*", &r) == LAM_OK) {
        if (ev.kind != LAM_EVENT_DIRECT) {
            cJSON *o = cJSON_ParseWithLength(r.body, r.len);
            if (!o)
                abort();
            cJSON_Delete(o);
        }
        lam_invoke_reply_free(&r);
    }
    lam_event_free(&ev);
    return 0;
}
