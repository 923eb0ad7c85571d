/*
 * dw_elf.c - the program's ELF symbol table, and C++ demangling.
 *
 * The tracer needs symbols where DWARF has nothing to say: the address of a
 * vtable (_ZTV3Dog) to recognise an object's dynamic type, and the name of
 * the library function a pointer points into. Function and object symbols of
 * .symtab are copied into the index's arena (libelf's data dies with
 * elf_end), sorted by address for containment queries and by name for exact
 * ones. A stripped program simply has no symbols.
 *
 * While the sections are at hand, .debug_rnglists is checked before
 * libdwarf sees it (see dw_rnglists_headers_ok), and the ranges of the
 * read-only data sections are kept: a char pointer into one points to a
 * string literal, which the tracer shows as a block of its own.
 */
#include "dwarf/dw_index.h"

#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf/dw_int.h"

#define MAX_SYMS ((size_t)1 << 20)
#define MAX_RODATA 16 /* .rodata sections kept; a linker script may split it */

/* Provided by libstdc++ (the C++ ABI); declared here to stay in C. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

static int cmp_sym_addr(const void *a, const void *b)
{
    const struct dw_sym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    /* among aliases, the sized symbol first */
    return x->size > y->size ? -1 : (x->size < y->size);
}

static int cmp_sym_name(const void *a, const void *b)
{
    const struct dw_sym *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static int wanted(const GElf_Sym *s)
{
    int type = GELF_ST_TYPE(s->st_info);
    return (type == STT_FUNC || type == STT_OBJECT || type == STT_GNU_IFUNC) &&
           s->st_shndx != SHN_UNDEF && s->st_value != 0;
}

/* Copies the wanted symbols of one SHT_SYMTAB section. */
static enum dw_err copy_symtab(struct dw_index *ix, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || sh->sh_entsize == 0)
        return DWX_OK;
    size_t count = sh->sh_size / sh->sh_entsize;
    if (count > MAX_SYMS)
        count = MAX_SYMS;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym s;
        if (gelf_getsym(data, (int)i, &s) && wanted(&s))
            n++;
    }
    if (n == 0)
        return DWX_OK;
    struct dw_sym *syms = dw_arena_array(&ix->arena, n, sizeof *syms);
    const struct dw_sym **by_name = dw_arena_array(&ix->arena, n, sizeof *by_name);
    if (!syms || !by_name)
        return DWX_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < count && k < n; i++) {
        GElf_Sym s;
        if (!gelf_getsym(data, (int)i, &s) || !wanted(&s))
            continue;
        const char *name = elf_strptr(elf, sh->sh_link, s.st_name);
        if (!name || !*name)
            continue;
        syms[k].addr = s.st_value;
        syms[k].size = s.st_size;
        syms[k].name = dw_arena_strdup(&ix->arena, name);
        if (!syms[k].name)
            return DWX_ERR_NOMEM;
        k++;
    }
    qsort(syms, k, sizeof *syms, cmp_sym_addr);
    for (size_t i = 0; i < k; i++)
        by_name[i] = &syms[i];
    qsort(by_name, k, sizeof *by_name, cmp_sym_name);
    ix->syms = syms;
    ix->syms_by_name = by_name;
    ix->nsyms = k;
    return DWX_OK;
}

/* .debug_rnglists as stored (a compressed section is left to libdwarf). */
/* Remembers sh's range when it is read-only data the program loads. */
static enum dw_err note_rodata(struct dw_index *ix, const char *name, const GElf_Shdr *sh)
{
    if (!name || strncmp(name, ".rodata", 7) != 0 || sh->sh_type != SHT_PROGBITS ||
        !(sh->sh_flags & SHF_ALLOC) || (sh->sh_flags & (SHF_WRITE | SHF_EXECINSTR)) ||
        sh->sh_size == 0 || sh->sh_addr + sh->sh_size < sh->sh_addr || ix->nrodata == MAX_RODATA)
        return DWX_OK;
    if (!ix->rodata) {
        ix->rodata = dw_arena_array(&ix->arena, MAX_RODATA, sizeof *ix->rodata);
        if (!ix->rodata)
            return DWX_ERR_NOMEM;
    }
    ix->rodata[ix->nrodata++] = (struct dw_range){sh->sh_addr, sh->sh_addr + sh->sh_size};
    return DWX_OK;
}

static int rnglists_ok(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
    if (sh->sh_type == SHT_NOBITS || (sh->sh_flags & SHF_COMPRESSED))
        return 1;
    Elf_Data *d = elf_rawdata(scn, NULL);
    return !d || dw_rnglists_headers_ok(d->d_buf, d->d_size);
}

enum dw_err dw_elf_load(struct dw_index *ix, int fd, char *errbuf, size_t errlen)
{
    enum dw_err err = DWX_OK;
    size_t shstrndx = 0;
    int have_symtab = 0;
    if (elf_version(EV_CURRENT) == EV_NONE) {
        dw_errf(errbuf, errlen, "libelf: %s", elf_errmsg(-1));
        return DWX_ERR_OPEN;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0) {
        dw_errf(errbuf, errlen, "not an ELF file: %s", elf_errmsg(-1));
        err = DWX_ERR_OPEN;
        goto out;
    }
    Elf_Scn *scn = NULL;
    while (err == DWX_OK && (scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_type == SHT_SYMTAB && !have_symtab) { /* an executable has one */
            have_symtab = 1;
            err = copy_symtab(ix, elf, scn, &sh);
            continue;
        }
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (name && strcmp(name, ".debug_rnglists") == 0 && !rnglists_ok(elf, scn, &sh)) {
            dw_errf(errbuf, errlen, "corrupt .debug_rnglists");
            err = DWX_ERR_FORMAT;
        }
        if (err == DWX_OK)
            err = note_rodata(ix, name, &sh);
    }
out:
    elf_end(elf); /* accepts NULL */
    return err;
}

int dw_index_symbol_addr(const struct dw_index *ix, const char *name, dw_addr *out)
{
    size_t lo = 0, hi = ix->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ix->syms_by_name[mid]->name, name);
        if (c == 0) {
            *out = ix->syms_by_name[mid]->addr;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

const char *dw_index_symbol_at(const struct dw_index *ix, dw_addr addr, dw_addr *offset)
{
    size_t lo = 0, hi = ix->nsyms;
    while (lo < hi) { /* first symbol with addr > addr */
        size_t mid = lo + (hi - lo) / 2;
        if (ix->syms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Walk back over symbols starting at or before addr: the nearest one
       that contains it wins (aliases share an address). */
    for (size_t i = lo; i > 0 && lo - i < 16; i--) {
        const struct dw_sym *s = &ix->syms[i - 1];
        if (addr < s->addr + (s->size ? s->size : 1)) {
            if (offset)
                *offset = addr - s->addr;
            return s->name;
        }
    }
    return NULL;
}

int dw_index_rodata_at(const struct dw_index *ix, dw_addr addr, struct dw_range *sec)
{
    for (size_t i = 0; i < ix->nrodata; i++)
        if (addr >= ix->rodata[i].lo && addr < ix->rodata[i].hi) {
            if (sec)
                *sec = ix->rodata[i];
            return 1;
        }
    return 0;
}

const char *dw_demangle(const char *mangled, char *buf, size_t len)
{
    if (!mangled || !buf || len == 0 || strncmp(mangled, "_Z", 2) != 0)
        return NULL;
    int status = 0;
    char *d = __cxa_demangle(mangled, NULL, NULL, &status);
    if (!d || status != 0) {
        free(d);
        return NULL;
    }
    size_t n = strlen(d);
    const char *ret = NULL;
    if (n < len) { /* a name that does not fit is not silently cut */
        memcpy(buf, d, n + 1);
        ret = buf;
    }
    free(d);
    return ret;
}
