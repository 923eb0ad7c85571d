/*
 * xol.c - plans how the agent leaves a breakpoint: a copy of the instruction
 * run out of line, an emulated jmp, or (anything not known for sure) a
 * single-step. See xol.h. The decoder is a whitelist of the x86-64
 * instructions gcc -O0 code starts lines with and their close relatives;
 * lengths follow the Intel SDM, vol. 2, appendix A (opcode maps).
 */
#include "tracer/rt/xol.h"

#include <string.h>

#define MAX_INSN 15

struct insn {
    size_t len;
    size_t disp_at; /* offset of a rip-relative disp32; 0: none */
    int jump;       /* 1: jmp rel8/rel32, rel below */
    int64_t rel;
};

/* 0F xx: has a ModRM byte (1), plus an imm8 (2); 0: not known here. */
static int two_byte(uint8_t op)
{
    if ((op >= 0x10 && op <= 0x1f) || (op >= 0x28 && op <= 0x2f) || (op >= 0x40 && op <= 0x4f) ||
        (op >= 0x90 && op <= 0x9f) || (op >= 0xd0 && op <= 0xfe))
        return 1;
    if (op >= 0x70 && op <= 0x73)
        return 2;
    if (op >= 0x50 && op <= 0x7f && op != 0x77)
        return 1;
    switch (op) {
    case 0xa3: case 0xa5: case 0xab: case 0xad: case 0xaf: case 0xb0: case 0xb1: case 0xb3:
    case 0xb6: case 0xb7: case 0xb8: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
    case 0xc0: case 0xc1:
        return 1;
    case 0xa4: case 0xac: case 0xba: case 0xc2: case 0xc4: case 0xc5: case 0xc6:
        return 2;
    default:
        return 0;
    }
}

/* Decode one instruction; 0 when it is not one this file knows. */
static int decode(const uint8_t *p, size_t avail, struct insn *in)
{
    size_t i = 0;
    int op16 = 0, rexw = 0;
    memset(in, 0, sizeof *in);
    if (avail > MAX_INSN)
        avail = MAX_INSN;
    for (;; i++) { /* legacy prefixes */
        if (i >= avail)
            return 0;
        uint8_t b = p[i];
        if (b == 0x66)
            op16 = 1;
        else if (b == 0x67) /* 32-bit addressing: eip-relative forms differ */
            return 0;
        else if (b != 0xf0 && b != 0xf2 && b != 0xf3 && b != 0x2e && b != 0x36 && b != 0x3e &&
                 b != 0x26 && b != 0x64 && b != 0x65)
            break;
    }
    if ((p[i] & 0xf0) == 0x40) { /* REX, right before the opcode */
        rexw = p[i] & 8;
        if (++i >= avail)
            return 0;
    }
    uint8_t op = p[i++];
    size_t immz = rexw ? 4 : op16 ? 2 : 4; /* imm16/32, sign-extended to 64 */
    size_t imm = 0;
    int modrm = 0, regs = 0xff; /* regs: ModRM.reg values allowed (bit mask) */
    int imm_by_reg = 0;         /* F6/F7: TEST (reg 0, 1) has an immediate */
    if (op == 0x0f) {
        if (i >= avail)
            return 0;
        uint8_t op2 = p[i++];
        if (op2 == 0x38 || op2 == 0x3a) {
            if (i++ >= avail)
                return 0;
            modrm = 1;
            imm = op2 == 0x3a;
        } else if (op2 >= 0xc8 && op2 <= 0xcf) {
            /* bswap */
        } else {
            int k = two_byte(op2);
            if (!k)
                return 0;
            modrm = 1;
            imm = k == 2;
        }
    } else if (op < 0x40) {
        switch (op & 7) {
        case 0: case 1: case 2: case 3: modrm = 1; break;
        case 4: imm = 1; break;
        case 5: imm = immz; break;
        default: return 0; /* invalid in 64-bit mode */
        }
    } else if (op >= 0x50 && op <= 0x5f) {
        /* push/pop reg */
    } else if (op >= 0x90 && op <= 0x99) {
        /* xchg, nop, cbw/cwde/cdqe, cwd/cdq/cqo */
    } else if (op >= 0xb0 && op <= 0xb7) {
        imm = 1;
    } else if (op >= 0xb8 && op <= 0xbf) {
        imm = rexw ? 8 : op16 ? 2 : 4;
    } else if ((op >= 0x84 && op <= 0x8b) || op == 0x63 || op == 0x8d || (op >= 0xd0 && op <= 0xd3) ||
               (op >= 0xd8 && op <= 0xdf)) {
        modrm = 1;
    } else if ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf)) {
        /* string instructions */
    } else {
        switch (op) {
        case 0x68: imm = immz; break;
        case 0x6a: imm = 1; break;
        case 0x69: modrm = 1; imm = immz; break;
        case 0x6b: case 0x80: case 0x83: case 0xc0: case 0xc1: modrm = 1; imm = 1; break;
        case 0x81: modrm = 1; imm = immz; break;
        case 0x8f: modrm = 1; regs = 0x01; break;
        case 0x9c: case 0xc3: case 0xc9: case 0xf5: case 0xf8: case 0xf9: case 0xfc: case 0xfd:
            break;
        case 0xa8: imm = 1; break;
        case 0xa9: imm = immz; break;
        case 0xc2: imm = 2; break;
        case 0xc6: modrm = 1; regs = 0x01; imm = 1; break;
        case 0xc7: modrm = 1; regs = 0x01; imm = immz; break;
        case 0xc8: imm = 3; break;
        case 0xf6: modrm = 1; imm_by_reg = 1; break;
        case 0xf7: modrm = 1; imm_by_reg = (int)immz; break;
        case 0xfe: modrm = 1; regs = 0x03; break;
        case 0xff: modrm = 1; regs = 0x53; break; /* inc, dec, jmp *, push; not call */
        case 0xeb: case 0xe9:
            if (op16) /* jmp rel16: AMD and Intel differ */
                return 0;
            in->jump = 1;
            imm = op == 0xeb ? 1 : 4;
            break;
        default:
            return 0;
        }
    }
    if (modrm) {
        if (i >= avail)
            return 0;
        uint8_t m = p[i++];
        int mod = m >> 6, reg = (m >> 3) & 7, rm = m & 7;
        if (!(regs & (1 << reg)))
            return 0;
        if (imm_by_reg)
            imm = reg < 2 ? (size_t)imm_by_reg : 0;
        size_t disp = 0;
        if (mod != 3) {
            if (rm == 4) {
                if (i >= avail)
                    return 0;
                if (mod == 0 && (p[i] & 7) == 5)
                    disp = 4;
                i++;
            } else if (mod == 0 && rm == 5) {
                in->disp_at = i;
                disp = 4;
            }
            if (mod == 1)
                disp = 1;
            else if (mod == 2)
                disp = 4;
        }
        i += disp;
    }
    if (in->jump) {
        if (i + imm > avail)
            return 0;
        if (imm == 1) {
            in->rel = (int8_t)p[i];
        } else {
            int32_t r;
            memcpy(&r, p + i, 4);
            in->rel = r;
        }
    }
    i += imm;
    if (i > avail)
        return 0;
    in->len = i;
    return 1;
}

size_t spp_xol_length(const uint8_t *code, size_t avail)
{
    struct insn in;
    return decode(code, avail, &in) ? in.len : 0;
}

enum spp_xol_how spp_xol_plan(const uint8_t *code, size_t avail, uint64_t addr, uint8_t *slot,
                              uint64_t slot_addr, uint64_t *target)
{
    struct insn in;
    if (!decode(code, avail, &in))
        return SPP_XOL_STEP;
    if (in.jump) {
        *target = addr + in.len + (uint64_t)in.rel;
        return SPP_XOL_JUMP;
    }
    uint8_t buf[SPP_XOL_SLOT];
    memset(buf, 0xcc, sizeof buf); /* anything past the code traps */
    memcpy(buf, code, in.len);
    if (in.disp_at) {
        /* same target from the copy: disp' = disp + (addr - slot_addr) */
        int32_t d;
        memcpy(&d, buf + in.disp_at, 4);
        int64_t nd = (int64_t)d + (int64_t)(addr - slot_addr);
        if (nd < INT32_MIN || nd > INT32_MAX)
            return SPP_XOL_STEP;
        d = (int32_t)nd;
        memcpy(buf + in.disp_at, &d, 4);
    }
    /* jmp *0(%rip) with the address after it: reaches anywhere */
    static const uint8_t jmp_abs[6] = {0xff, 0x25, 0, 0, 0, 0};
    uint64_t back = addr + in.len;
    memcpy(buf + in.len, jmp_abs, sizeof jmp_abs);
    memcpy(buf + in.len + sizeof jmp_abs, &back, 8);
    memcpy(buf + SPP_XOL_OWNER, &addr, 8);
    buf[SPP_XOL_OWNER + 8] = (uint8_t)in.len;
    memcpy(slot, buf, sizeof buf);
    return SPP_XOL_COPY;
}
