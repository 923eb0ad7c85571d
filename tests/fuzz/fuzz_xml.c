/*
 * fuzz_xml.c - libFuzzer harness for the streaming decoder of memcheck's
 * --xml output (targets/valgrind/xml_errors.c). The stream is written into
 * the run directory, which the traced program shares: it is hostile input.
 *
 *   tests/sh/test_fuzz.sh builds and runs it (clang, -fsanitize=fuzzer,
 *   address,undefined) from tests/fuzz/corpus/xml for a bounded time.
 *
 * The input's first byte sets the slice size the stream is fed in (the
 * file is read as it grows, cut anywhere), the rest is the stream. The
 * same stream fed whole must give the same records. Invariants checked:
 * a refused stream says why, and every record has a kind and stacks
 * within VGM_STACK_FRAMES.
 */
#include "targets/valgrind/xml_errors_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds text in slices of step bytes; returns the decoder's last result. */
static enum tr_err decode(const char *text, size_t len, size_t step, struct vg_errs *e,
                          char *err)
{
    struct vg_xml *x = NULL;
    enum tr_err rc = vg_xml_new(e, err, &x);
    if (rc != TR_OK)
        abort(); /* only for memory, and libFuzzer caps nothing that small */
    for (size_t off = 0; rc == TR_OK && off < len; off += step)
        rc = vg_xml_feed(x, text + off, len - off < step ? len - off : step);
    vg_xml_free(x);
    return rc;
}

static void check_records(const struct vg_errs *e)
{
    for (size_t i = 0; i < e->n; i++) {
        const struct tr_tool_error *r = &e->v[i];
        if (!r->kind || r->nstack > VGM_STACK_FRAMES || r->naux_stack > VGM_STACK_FRAMES ||
            r->nalloc_stack > VGM_STACK_FRAMES)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] + 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char err[TR_ERRBUF_LEN], err2[TR_ERRBUF_LEN];
    struct vg_errs sliced, whole;

    err[0] = err2[0] = '\0';
    vg_errs_init(&sliced, err);
    vg_errs_init(&whole, err2);
    enum tr_err a = decode(text, len, step, &sliced, err);
    enum tr_err b = decode(text, len, len ? len : 1, &whole, err2);
    if ((a != TR_OK && err[0] == '\0') || (b != TR_OK && err2[0] == '\0'))
        abort();
    check_records(&sliced);
    check_records(&whole);
    /* where both read the whole stream, the cut made no difference */
    if (a == TR_OK && b == TR_OK) {
        if (sliced.n != whole.n)
            abort();
        for (size_t i = 0; i < sliced.n; i++)
            if (strcmp(sliced.v[i].kind, whole.v[i].kind) != 0 ||
                sliced.v[i].nstack != whole.v[i].nstack)
                abort();
    }
    vg_errs_free(&sliced);
    vg_errs_free(&whole);
    return 0;
}
