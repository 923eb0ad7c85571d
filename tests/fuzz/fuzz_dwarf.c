/*
 * fuzz_dwarf.c - libFuzzer harness for the ELF + DWARF index (dwarf/): the
 * student's program is compiled here, but its debug information is shaped
 * by what the student wrote (and an installation could be handed any
 * file), so the reader must survive any ELF.
 *
 *   tests/sh/test_fuzz.sh builds and runs it (clang, -fsanitize=fuzzer,
 *   address,undefined) for a bounded time from a corpus it compiles
 *   first: every sample program as main.c / main.cpp with g++ -g -O0.
 *
 * The input is the executable, given to dw_index_open as a memfd (no file
 * is written); the index is then walked as the stepper walks it: every
 * function, the variables visible at each of its statement starts, their
 * type names, the globals, a line and a symbol for every pc. Invariants
 * checked: a refusal says why; functions are sorted and func_at finds
 * each at its own low_pc; vars_at never reports more than it could list
 * and what it writes is in bounds.
 */
#include "dwarf/dw_index.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct dw_index *ix)
{
    char name[512];
    size_t nf = 0, nl = 0, ng = 0;
    const struct dw_func *f = dw_index_funcs(ix, &nf);
    const struct dw_line *l = dw_index_lines(ix, &nl);
    const struct dw_var *g = dw_index_globals(ix, &ng);
    for (size_t i = 0; i < nf; i++) {
        if (i && f[i].low_pc < f[i - 1].low_pc)
            abort();
        if (f[i].low_pc < f[i].high_pc && dw_index_func_at(ix, f[i].low_pc) == NULL)
            abort();
        if (f[i].name)
            (void)dw_index_func_named(ix, f[i].name);
        dw_type_name(f[i].ret_type, name, sizeof name);
        dw_addr off;
        (void)dw_index_symbol_at(ix, f[i].low_pc, &off);
    }
    for (size_t i = 0; i < nl && i < 4096; i++) {
        const struct dw_func *fn = dw_index_func_at(ix, l[i].addr);
        (void)dw_index_line_at(ix, l[i].addr);
        if (!fn)
            continue;
        const struct dw_var *v[64];
        size_t n = dw_func_vars_at(fn, l[i].addr, v, 64);
        for (size_t k = 0; k < n && k < 64; k++) {
            dw_type_name(v[k]->type, name, sizeof name);
            (void)dw_type_strip(v[k]->type);
        }
    }
    for (size_t i = 0; i < ng; i++) {
        dw_type_name(g[i].type, name, sizeof name);
        struct dw_range sec;
        (void)dw_index_rodata_at(ix, g[i].loc.addr, &sec);
    }
    (void)dw_index_type_named(ix, "std::string");
    (void)dw_index_type_named(ix, "Node");
    dw_addr a;
    (void)dw_index_symbol_addr(ix, "main", &a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64], err[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    static const char *const srcs[] = {"main.cpp", "main.c"};
    for (size_t s = 0; s < sizeof srcs / sizeof *srcs; s++) {
        struct dw_index *ix = NULL;
        err[0] = '\0';
        if (dw_index_open(path, srcs[s], &ix, err, sizeof err) != DWX_OK) {
            if (err[0] == '\0' || strnlen(err, sizeof err) == sizeof err)
                abort();
            continue;
        }
        walk(ix);
        dw_index_close(ix);
    }
    close(fd);
    return 0;
}
