/*
 * fuzz_monitor.c - libFuzzer harness for the decoders of memcheck monitor
 * command output (targets/valgrind/monitor.c): `get_vbits`,
 * `check_memory defined` and `leak_check` replies, console text that the
 * traced program's memory and allocations shape.
 *
 *   tests/sh/test_fuzz.sh builds and runs it (clang, -fsanitize=fuzzer,
 *   address,undefined) from tests/fuzz/corpus/monitor for a bounded time.
 *
 * Invariants checked: a refused text says why; vbits reports at most n
 * unaddressable bytes; check_memory's first bad byte lies in [addr,
 * addr+n]; every leak record has a kind.
 */
#include "targets/valgrind/monitor_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void refused_says_why(enum tr_err rc, const char *err)
{
    if (rc != TR_OK && (err[0] == '\0' || strnlen(err, TR_ERRBUF_LEN) == TR_ERRBUF_LEN))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* the first byte sizes the request the text answers */
    size_t n = (size_t)data[0] + 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char err[TR_ERRBUF_LEN];

    uint8_t vbits[256];
    size_t unaddr = 0;
    err[0] = '\0';
    enum tr_err rc = vg_mon_vbits(text, len, vbits, n, &unaddr, err);
    refused_says_why(rc, err);
    if (rc == TR_OK && unaddr > n)
        abort();

    const tr_addr addr = 0x10000;
    tr_addr bad = 0;
    int un = 0;
    err[0] = '\0';
    rc = vg_mon_check(text, len, addr, n, &bad, &un, err);
    refused_says_why(rc, err);
    if (rc == TR_OK && (bad < addr || bad > addr + n))
        abort();

    struct vg_errs e;
    err[0] = '\0';
    vg_errs_init(&e, err);
    rc = vg_mon_leaks(text, len, &e);
    refused_says_why(rc, err);
    for (size_t i = 0; rc == TR_OK && i < e.n; i++)
        if (!e.v[i].kind)
            abort();
    vg_errs_free(&e);
    return 0;
}
