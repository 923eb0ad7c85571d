/*
 * sppmon.h - the layout shared by the runtime linked into traced programs
 * (sppmon.c) and the tracer that reads it from outside.
 *
 * The runtime keeps a dense table of live heap blocks that the tracer reads
 * in one or two memory reads per step, so the program never stops at an
 * allocation. It also records the details of a fatal memory fault (read or
 * write, from the kernel's page-fault error code), which ptrace cannot see,
 * and the resource limits the program ran into.
 * The tracer finds the table through the ELF symbol SPP_RT_SYMBOL.
 */
#ifndef SPP_TRACER_RT_SPPMON_H
#define SPP_TRACER_RT_SPPMON_H

#include <stdint.h>

#define SPP_RT_SYMBOL     "spp_rt"
#define SPP_RT_MAGIC      0x31544d4e4f4d5053ull /* "SPPMONT1" */
#define SPP_RT_MAX_BLOCKS 16384u
#define SPP_RT_FREED_RING 256u /* recently freed blocks kept (freed[]) */

/* The Valgrind run of memcheck mode runs unstopped and must end where the
   native run ended at a limit: the tracer creates this file (8 bytes, a
   clock value, 0 = no limit) in that run's directory, and the runtime,
   only under Valgrind, maps it and kills the program when its clock
   reaches the value written there. */
#define SPP_RT_CLOCK_FILE ".spp-clock-limit"

/* Fresh heap bytes hold this until the program writes them (never under
   Valgrind: memcheck's V-bits tell the truth there); the stepper fills a new
   frame's locals with it too. A scalar all of whose bytes are still this
   byte reads "<UNINITIALIZED>" (docs/memcheck.md, "Uninitialised values").
   0xBE: no valid bool, a non-canonical pointer (dereferencing it faults), a
   negative int far from everyday values, never an ASCII character. */
#define SPP_RT_FILL_BYTE  0xBEu

enum spp_rt_kind { SPP_RT_MALLOC = 0, SPP_RT_NEW = 1, SPP_RT_NEW_ARRAY = 2 };

/* Limits the program ran into, seen from inside: what the tracer needs to
   say "memory limit" or "process limit" rather than whatever the program
   did next (crashed on NULL, aborted on std::bad_alloc, looped). */
#define SPP_RT_LIMIT_MEMORY  0x1u /* an allocation of a nonzero size failed */
#define SPP_RT_LIMIT_PROCESS 0x2u /* fork or pthread_create failed with EAGAIN */

/* A block's address is stored XOR this key: memcheck's leak search takes
   any word that points into a block for a pointer, so a table of plain
   addresses would keep every leaked block "still reachable". Flipping high
   bits gives a value that points nowhere. */
#define SPP_RT_ADDR_KEY 0x5350500000000000ull

struct spp_rt_block {
    uint64_t addr; /* the block's address ^ SPP_RT_ADDR_KEY */
    uint64_t size;
    uint64_t seq;  /* allocation number; blocks older than main's start are not shown */
    uint64_t site; /* return address of the allocation call */
    uint64_t kind; /* enum spp_rt_kind */
};

struct spp_rt {
    uint64_t magic;
    uint64_t nblocks;  /* live blocks are blocks[0 .. nblocks) */
    uint64_t seq;      /* allocations so far */
    uint64_t overflow; /* live blocks not recorded because the table was full */
    /* Fatal fault (SIGSEGV/SIGBUS) seen by the runtime's handler. */
    uint64_t fault_seen;
    uint64_t fault_signo;
    uint64_t fault_code;
    uint64_t fault_addr;
    uint64_t fault_ip;
    uint64_t fault_err; /* x86 page-fault error code: bit 1 = write */
    uint32_t lock;
    uint32_t limits; /* SPP_RT_LIMIT_* met so far; set, never cleared */
    /* Logical clock: basic blocks of user code entered so far, counted by
       __sanitizer_cov_trace_pc when the program was compiled with
       -fsanitize-coverage=trace-pc (0 otherwise). A deterministic program
       counts the same values natively and under Valgrind, so a point of
       one run can be found in the other by its clock. */
    uint64_t clock;
    /* Frees so far: the last SPP_RT_FREED_RING of them are in freed[], at
       index n % SPP_RT_FREED_RING (what an error about a freed block is
       told against: its allocation order). */
    uint64_t nfreed;
    /* 1: fresh blocks are filled with SPP_RT_FILL_BYTE (not under Valgrind) */
    uint64_t heap_fill;
    struct spp_rt_block blocks[SPP_RT_MAX_BLOCKS];
    struct spp_rt_block freed[SPP_RT_FREED_RING];
};

/* Offset of blocks[] for readers that fetch the header first. */
#define SPP_RT_HEADER_SIZE ((uint64_t)(uintptr_t) & ((struct spp_rt *)0)->blocks)

#endif
