/*
 * rt_xol.c - the agent's out-of-line plans (tracer/rt/xol.c): the length of
 * the instructions gcc -O0 starts lines with, the copy and its jump back,
 * rip-relative operands moved to the copy, jmp emulated, and everything the
 * decoder is not sure of left to a single-step. The runtime is not part of
 * libspp.a (it is linked into traced programs), so its source is built in.
 */
#include <string.h>

#include "check.h"
#include "tracer/rt/xol.c"

#define LEN(...) length((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static size_t length(const uint8_t *code, size_t n)
{
    return spp_xol_length(code, n);
}

static void test_lengths_of_line_starts(void)
{
    CHECK_INT(LEN(0x55), 1);                                           /* push %rbp */
    CHECK_INT(LEN(0x48, 0x89, 0xe5), 3);                               /* mov %rsp,%rbp */
    CHECK_INT(LEN(0x48, 0x83, 0xc4, 0x20), 4);                         /* add $0x20,%rsp */
    CHECK_INT(LEN(0x48, 0x8b, 0x45, 0xf8), 4);                         /* mov -8(%rbp),%rax */
    CHECK_INT(LEN(0xc7, 0x45, 0xfc, 0, 0, 0, 0), 7);                   /* movl $0,-4(%rbp) */
    CHECK_INT(LEN(0x48, 0xc7, 0x45, 0xf8, 0, 0, 0, 0), 8);             /* movq $0,-8(%rbp) */
    CHECK_INT(LEN(0x66, 0xc7, 0x45, 0xfe, 1, 0), 6);                   /* movw $1: imm16 */
    CHECK_INT(LEN(0x83, 0x45, 0xf4, 0x01), 4);                         /* addl $1,-12(%rbp) */
    CHECK_INT(LEN(0x48, 0x8d, 0x85, 0xe0, 0xfe, 0xff, 0xff), 7);       /* lea -0x120(%rbp) */
    CHECK_INT(LEN(0xb8, 0, 0, 0, 0), 5);                               /* mov $0,%eax */
    CHECK_INT(LEN(0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8), 10);            /* movabs */
    CHECK_INT(LEN(0x8b, 0x04, 0x24), 3);                               /* mov (%rsp),%eax */
    CHECK_INT(LEN(0x8b, 0x04, 0x25, 0, 0x10, 0, 0), 7);                /* SIB without base */
    CHECK_INT(LEN(0x66, 0x0f, 0xef, 0xc0), 4);                         /* pxor */
    CHECK_INT(LEN(0xf2, 0x0f, 0x10, 0x05, 1, 2, 3, 4), 8);             /* movsd x(%rip) */
    CHECK_INT(LEN(0xf3, 0x0f, 0x1e, 0xfa), 4);                         /* endbr64 */
    CHECK_INT(LEN(0xf7, 0x45, 0xfc, 1, 0, 0, 0), 7);                   /* testl $1: imm32 */
    CHECK_INT(LEN(0xf7, 0xd8), 2);                                     /* neg: none */
    CHECK_INT(LEN(0x0f, 0xb6, 0x45, 0xff), 4);                         /* movzbl */
    CHECK_INT(LEN(0xc9), 1);                                           /* leave */
    CHECK_INT(LEN(0xc3), 1);                                           /* ret */
    CHECK_INT(LEN(0xeb, 0x05), 2);                                     /* jmp rel8 */
}

static void test_unsure_instructions_are_stepped(void)
{
    CHECK_INT(LEN(0xe8, 1, 2, 3, 4), 0);             /* call: pushes its own address */
    CHECK_INT(LEN(0xff, 0xd0), 0);                   /* call *%rax */
    CHECK_INT(LEN(0x74, 0x05), 0);                   /* jcc */
    CHECK_INT(LEN(0x0f, 0x8e, 1, 2, 3, 4), 0);       /* jcc rel32 */
    CHECK_INT(LEN(0x0f, 0x05), 0);                   /* syscall */
    CHECK_INT(LEN(0xcc), 0);                         /* int3: the program's own */
    CHECK_INT(LEN(0xc5, 0xf9, 0xef, 0xc0), 0);       /* VEX */
    CHECK_INT(LEN(0x67, 0x8b, 0x00), 0);             /* 32-bit addressing */
    CHECK_INT(LEN(0x9d), 0);                         /* popf may set TF */
    CHECK_INT(LEN(0x66, 0xe9, 1, 2), 0);             /* jmp rel16 */
    CHECK_INT(LEN(0x48, 0x8b, 0x45), 0);             /* cut short: displacement missing */
    CHECK_INT(LEN(0xc7, 0x45, 0xfc, 0, 0, 0), 0);    /* cut short: immediate missing */
    CHECK_INT(LEN(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                  0x66, 0x66, 0x90), 15);            /* the longest there is */
    CHECK_INT(LEN(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                  0x66, 0x66, 0x66, 0x90), 0);       /* one byte too long */
}

static void test_copy_jumps_back(void)
{
    const uint8_t add[] = {0x48, 0x83, 0x45, 0xf8, 0x01}; /* addq $1,-8(%rbp) */
    uint8_t slot[SPP_XOL_SLOT];
    uint64_t addr = 0x401136, at = 0x100040, target = 0, back, owner;
    memset(slot, 0, sizeof slot);
    CHECK_INT(spp_xol_plan(add, sizeof add, addr, slot, at, &target), SPP_XOL_COPY);
    CHECK(memcmp(slot, add, sizeof add) == 0);
    CHECK(slot[5] == 0xff && slot[6] == 0x25); /* jmp *0(%rip) */
    CHECK(slot[7] == 0 && slot[8] == 0 && slot[9] == 0 && slot[10] == 0);
    memcpy(&back, slot + 11, 8);
    CHECK(back == addr + sizeof add);
    memcpy(&owner, slot + SPP_XOL_OWNER, 8);
    CHECK(owner == addr);
    CHECK_INT(slot[SPP_XOL_OWNER + 8], 5);
}

static void test_rip_relative_reaches_the_same_byte(void)
{
    /* movl $7, 0x2ee5(%rip): displacement, then an immediate after it */
    const uint8_t mov[] = {0xc7, 0x05, 0xe5, 0x2e, 0, 0, 7, 0, 0, 0};
    uint8_t slot[SPP_XOL_SLOT];
    uint64_t addr = 0x401200, at = 0x100080, target = 0;
    CHECK_INT(spp_xol_plan(mov, sizeof mov, addr, slot, at, &target), SPP_XOL_COPY);
    int32_t d0 = 0x2ee5, d1;
    memcpy(&d1, slot + 2, 4);
    CHECK(at + sizeof mov + (uint64_t)(int64_t)d1 == addr + sizeof mov + (uint64_t)(int64_t)d0);
    CHECK(slot[6] == 7); /* the immediate is untouched */
    /* a copy out of reach of the operand is no plan: single-step */
    CHECK_INT(spp_xol_plan(mov, sizeof mov, 0x7f0000001000ull, slot, at, &target), SPP_XOL_STEP);
}

static void test_jmp_is_emulated(void)
{
    uint8_t slot[SPP_XOL_SLOT];
    uint64_t target = 0;
    const uint8_t short_jmp[] = {0xeb, 0x01};
    CHECK_INT(spp_xol_plan(short_jmp, 2, 0x401000, slot, 0x100000, &target), SPP_XOL_JUMP);
    CHECK(target == 0x401003);
    const uint8_t back_jmp[] = {0xe9, 0xf0, 0xff, 0xff, 0xff}; /* jmp -16 */
    CHECK_INT(spp_xol_plan(back_jmp, 5, 0x401000, slot, 0x100000, &target), SPP_XOL_JUMP);
    CHECK(target == 0x401005 - 16);
    const uint8_t call[] = {0xe8, 0, 0, 0, 0};
    CHECK_INT(spp_xol_plan(call, 5, 0x401000, slot, 0x100000, &target), SPP_XOL_STEP);
}

TEST_MAIN(TEST(test_lengths_of_line_starts), TEST(test_unsure_instructions_are_stepped),
          TEST(test_copy_jumps_back), TEST(test_rip_relative_reaches_the_same_byte),
          TEST(test_jmp_is_emulated))
