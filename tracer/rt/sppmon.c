/*
 * sppmon.c - the runtime linked into every traced program.
 *
 * 1. Interposes the malloc and operator new families and keeps the live
 *    blocks in a dense table (struct spp_rt) that the tracer reads between
 *    steps: the program never stops at an allocation. malloc-family calls go
 *    to glibc's __libc_* entry points; operator new/delete go to libstdc++'s
 *    own (found with dlsym(RTLD_NEXT)), so memcheck, which replaces both
 *    families, still sees new/delete as such and can report mismatches.
 * 2. Makes stdout unbuffered, so output is visible at the step after the
 *    line that wrote it and is not lost when the program crashes.
 * 3. Records read/write and address of a fatal SIGSEGV/SIGBUS (the page-fault
 *    error code is only visible inside the process), then lets it kill.
 * 4. Records that an allocation failed or that fork/pthread_create hit the
 *    process limit (spp_rt.limits): the tracer reads it at every step.
 * 5. Counts basic blocks of user code into spp_rt.clock (a logical clock
 *    two runs of the same program share) when the program was compiled
 *    with -fsanitize-coverage=trace-pc; under Valgrind, ends the program
 *    at the clock limit the tracer writes (SPP_RT_CLOCK_FILE).
 * 6. Fills the bytes of every fresh block (malloc, operator new through it,
 *    the growth of a realloc; never calloc's) with SPP_RT_FILL_BYTE, so the
 *    tracer can show the elements never written as "<UNINITIALIZED>" -
 *    except under Valgrind, whose memcheck must see the real allocator's
 *    undefined bytes (a fill would make them defined).
 *
 * Built without -g, so none of this ever becomes a step. Must stay
 * async-signal-safe where noted and must never call the allocators it wraps
 * with its own lock held.
 */
#include "tracer/rt/sppmon.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#define EXPORT __attribute__((visibility("default")))
#define HASH_SLOTS (SPP_RT_MAX_BLOCKS * 2u) /* power of two, load <= 1/2 */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

/* Read by the tracer: keep it out of .bss tricks and visible in .symtab. */
__attribute__((used)) struct spp_rt spp_rt = {.magic = SPP_RT_MAGIC};

/* SPP_RT_CLOCK_FILE mapped, under Valgrind only (NULL: no limit). */
static const volatile uint64_t *clock_limit;

/* gcc's -fsanitize-coverage=trace-pc calls this at every basic block of
   the user's code (this file is built without the flag, so it never counts
   itself). A plain increment: under Valgrind an atomic costs more, and a
   clock is only meaningful for a program whose threads do not race. */
EXPORT void __sanitizer_cov_trace_pc(void)
{
    uint64_t c = ++spp_rt.clock;
    if (clock_limit && *clock_limit && c >= *clock_limit)
        kill(getpid(), SIGKILL); /* memcheck mode: the native run ended here */
}

/* addr -> index+1 into spp_rt.blocks (0 = empty); open addressing. */
static uint32_t slot_of[HASH_SLOTS];

static void lock(void)
{
    while (__atomic_test_and_set(&spp_rt.lock, __ATOMIC_ACQUIRE))
        ;
}

static void unlock(void)
{
    __atomic_clear(&spp_rt.lock, __ATOMIC_RELEASE);
}

static uint32_t hash_addr(uint64_t a)
{
    a ^= a >> 33;
    a *= 0xff51afd7ed558ccdull;
    a ^= a >> 33;
    return (uint32_t)a & (HASH_SLOTS - 1);
}

static uint32_t *find_slot(uint64_t addr)
{
    uint32_t h = hash_addr(addr);
    for (;;) {
        uint32_t s = slot_of[h];
        if (s == 0 || spp_rt.blocks[s - 1].addr == addr)
            return &slot_of[h];
        h = (h + 1) & (HASH_SLOTS - 1);
    }
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void erase_slot(uint32_t *slot)
{
    uint32_t i = (uint32_t)(slot - slot_of);
    uint32_t j = i;
    slot_of[i] = 0;
    for (;;) {
        j = (j + 1) & (HASH_SLOTS - 1);
        if (slot_of[j] == 0)
            return;
        uint32_t home = hash_addr(spp_rt.blocks[slot_of[j] - 1].addr);
        /* move j back to i when i lies cyclically in [home, j) */
        if (((j - home) & (HASH_SLOTS - 1)) >= ((j - i) & (HASH_SLOTS - 1))) {
            slot_of[i] = slot_of[j];
            slot_of[j] = 0;
            i = j;
        }
    }
}

static void record(void *p, size_t size, enum spp_rt_kind kind, void *site)
{
    if (!p)
        return;
    uint64_t key = (uint64_t)(uintptr_t)p ^ SPP_RT_ADDR_KEY; /* what the table holds */
    lock();
    uint32_t *slot = find_slot(key);
    struct spp_rt_block *b;
    if (*slot) {
        /* operator new records after the malloc it called: outer call wins */
        b = &spp_rt.blocks[*slot - 1];
    } else if (spp_rt.nblocks < SPP_RT_MAX_BLOCKS) {
        b = &spp_rt.blocks[spp_rt.nblocks];
        *slot = (uint32_t)++spp_rt.nblocks;
        b->seq = ++spp_rt.seq;
    } else {
        spp_rt.overflow++;
        unlock();
        return;
    }
    b->addr = key;
    b->size = size;
    b->site = (uint64_t)(uintptr_t)site;
    b->kind = kind;
    unlock();
}

static void forget(void *p)
{
    if (!p)
        return;
    lock();
    uint32_t *slot = find_slot((uint64_t)(uintptr_t)p ^ SPP_RT_ADDR_KEY);
    if (*slot) {
        uint32_t idx = *slot - 1;
        uint32_t last = (uint32_t)spp_rt.nblocks - 1;
        erase_slot(slot);
        spp_rt.freed[spp_rt.nfreed++ % SPP_RT_FREED_RING] = spp_rt.blocks[idx];
        if (idx != last) {
            spp_rt.blocks[idx] = spp_rt.blocks[last];
            *find_slot(spp_rt.blocks[idx].addr) = idx + 1;
        }
        spp_rt.nblocks--;
    } else if (spp_rt.overflow) {
        spp_rt.overflow--;
    }
    unlock();
}

/* The recorded size of live block p (0 for NULL); SIZE_MAX when unknown:
   the table was full when it was allocated. */
static size_t recorded_size(const void *p)
{
    size_t n = SIZE_MAX;
    if (!p)
        return 0;
    lock();
    uint32_t *slot = find_slot((uint64_t)(uintptr_t)p ^ SPP_RT_ADDR_KEY);
    if (*slot)
        n = (size_t)spp_rt.blocks[*slot - 1].size;
    unlock();
    return n;
}

/* Bytes [from, to) of the fresh block p were never written: fill them.
   Decided once (a malloc may come before any constructor runs). */
static void fresh(void *p, size_t from, size_t to)
{
    static int fill = -1;
    if (fill < 0) {
        fill = RUNNING_ON_VALGRIND ? 0 : 1;
        spp_rt.heap_fill = (uint64_t)fill;
    }
    if (fill && p && to > from)
        memset((char *)p + from, SPP_RT_FILL_BYTE, to - from);
}

static void hit_limit(uint32_t which)
{
    __atomic_or_fetch(&spp_rt.limits, which, __ATOMIC_RELAXED);
}

/* p is what an allocator returned for n bytes. */
static void check_alloc(const void *p, size_t n)
{
    if (!p && n)
        hit_limit(SPP_RT_LIMIT_MEMORY);
}

/* ---- malloc family ---------------------------------------------------- */

EXPORT void *malloc(size_t n)
{
    void *p = __libc_malloc(n);
    check_alloc(p, n);
    fresh(p, 0, n);
    record(p, n, SPP_RT_MALLOC, __builtin_return_address(0));
    return p;
}

EXPORT void free(void *p)
{
    forget(p);
    __libc_free(p);
}

EXPORT void *calloc(size_t n, size_t m)
{
    void *p = __libc_calloc(n, m);
    check_alloc(p, n * m);
    record(p, n * m, SPP_RT_MALLOC, __builtin_return_address(0));
    return p;
}

EXPORT void *realloc(void *old, size_t n)
{
    size_t was = recorded_size(old); /* SIZE_MAX: unknown, nothing filled */
    void *p = __libc_realloc(old, n);
    check_alloc(p, n);
    fresh(p, was, n);
    if (p || n == 0)
        forget(old);
    record(p, n, SPP_RT_MALLOC, __builtin_return_address(0));
    return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t m)
{
    if (m && n > (size_t)-1 / m) {
        errno = ENOMEM;
        return NULL;
    }
    size_t was = recorded_size(old);
    void *p = __libc_realloc(old, n * m);
    check_alloc(p, n * m);
    fresh(p, was, n * m);
    if (p || n * m == 0)
        forget(old);
    record(p, n * m, SPP_RT_MALLOC, __builtin_return_address(0));
    return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);
    check_alloc(p, n);
    fresh(p, 0, n);
    record(p, n, SPP_RT_MALLOC, __builtin_return_address(0));
    return p;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);
    check_alloc(p, n);
    fresh(p, 0, n);
    record(p, n, SPP_RT_MALLOC, __builtin_return_address(0));
    return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    void *p = __libc_memalign(align, n);
    check_alloc(p, n);
    if (!p)
        return ENOMEM;
    fresh(p, 0, n);
    record(p, n, SPP_RT_MALLOC, __builtin_return_address(0));
    *out = p;
    return 0;
}

EXPORT void *valloc(size_t n)
{
    void *p = __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n);
    check_alloc(p, n);
    fresh(p, 0, n);
    record(p, n, SPP_RT_MALLOC, __builtin_return_address(0));
    return p;
}

/* ---- operator new / delete (mangled names; C++ programs only) ---------- */

typedef void *(*new_fn)(size_t);
typedef void (*delete_fn)(void *);

static new_fn real_new, real_new_array;
static delete_fn real_delete, real_delete_array;

/* Without libstdc++ loaded (C++ code that uses nothing else from it), new
   and delete fall back to malloc and free, as libstdc++'s own do. The
   compile driver links libstdc++ unconditionally so this stays rare. */
static void *fallback_new(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort(); /* cannot throw std::bad_alloc from C */
    return p;
}

static void resolve_cxx(void)
{
    /* dlsym may allocate: it goes through malloc above, which is ready. */
    real_new = (new_fn)dlsym(RTLD_NEXT, "_Znwm");
    real_new_array = (new_fn)dlsym(RTLD_NEXT, "_Znam");
    real_delete = (delete_fn)dlsym(RTLD_NEXT, "_ZdlPv");
    real_delete_array = (delete_fn)dlsym(RTLD_NEXT, "_ZdaPv");
    if (!real_new)
        real_new = fallback_new;
    if (!real_new_array)
        real_new_array = fallback_new;
    if (!real_delete)
        real_delete = free;
    if (!real_delete_array)
        real_delete_array = free;
}

EXPORT void *_Znwm(size_t n)
{
    if (!real_new)
        resolve_cxx();
    void *p = real_new(n); /* throws std::bad_alloc through us (-fexceptions) */
    record(p, n, SPP_RT_NEW, __builtin_return_address(0));
    return p;
}

EXPORT void *_Znam(size_t n)
{
    if (!real_new_array)
        resolve_cxx();
    void *p = real_new_array(n);
    record(p, n, SPP_RT_NEW_ARRAY, __builtin_return_address(0));
    return p;
}

EXPORT void _ZdlPv(void *p)
{
    if (!real_delete)
        resolve_cxx();
    forget(p);
    real_delete(p);
}

EXPORT void _ZdaPv(void *p)
{
    if (!real_delete_array)
        resolve_cxx();
    forget(p);
    real_delete_array(p);
}

/* Sized delete (C++14) ends in the unsized one: memcheck checks the kind. */
EXPORT void _ZdlPvm(void *p, size_t n)
{
    (void)n;
    _ZdlPv(p);
}

EXPORT void _ZdaPvm(void *p, size_t n)
{
    (void)n;
    _ZdaPv(p);
}

/* ---- processes and threads -------------------------------------------- */

typedef pid_t (*fork_fn)(void);
typedef int (*thread_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

/* operator new reaches malloc above, so its failures are seen there; new
   processes and threads need their own wrappers. */
EXPORT pid_t fork(void)
{
    static fork_fn real;
    if (!real)
        real = (fork_fn)dlsym(RTLD_NEXT, "fork");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    pid_t p = real();
    if (p < 0 && errno == EAGAIN)
        hit_limit(SPP_RT_LIMIT_PROCESS);
    return p;
}

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    static thread_fn real;
    if (!real)
        real = (thread_fn)dlsym(RTLD_NEXT, "pthread_create");
    if (!real)
        return ENOSYS;
    int rc = real(t, a, fn, arg);
    if (rc == EAGAIN)
        hit_limit(SPP_RT_LIMIT_PROCESS);
    return rc;
}

/* ---- fatal faults ----------------------------------------------------- */

static char altstack[64 * 1024];

/* Async-signal-safe: records, then returns with the default action
   restored (SA_RESETHAND), so the faulting instruction faults again and the
   program dies of the same signal, which is what the tracer reports. */
static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    spp_rt.fault_signo = (uint64_t)sig;
    spp_rt.fault_code = (uint64_t)si->si_code;
    spp_rt.fault_addr = (uint64_t)(uintptr_t)si->si_addr;
    spp_rt.fault_ip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    spp_rt.fault_err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];
    __atomic_store_n(&spp_rt.fault_seen, 1, __ATOMIC_RELEASE);
}

/* The clock limit of memcheck mode's Valgrind run (sppmon.h). A file the
   program could also write: then it only ends its own checking early. */
static void map_clock_limit(void)
{
    int fd = open(SPP_RT_CLOCK_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)sizeof(uint64_t)) {
        void *p = mmap(NULL, sizeof(uint64_t), PROT_READ, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED)
            clock_limit = p;
    }
    close(fd);
}

__attribute__((constructor(101))) static void spp_rt_init(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);

    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    if (RUNNING_ON_VALGRIND)
        map_clock_limit();
}
