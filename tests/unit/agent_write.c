/*
 * agent_write.c - the agent target's memory writes over its channel
 * (SPP_AGENT_READS=channel: as where process_vm_writev is denied): a
 * write into the stopped stack lands, the red zone below sp included; a
 * write anywhere else is refused with TR_ERR_MEM and leaves the memory
 * and the agent as they were - the program runs on to its normal exit.
 * Skipped (77) when the runtime object or gcc is missing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tests/support/rt_scratch.h"
#include "dwarf/dw_index.h"
#include "run/run.h"
#include "targets/agent/agent_target.h"
#include "tracer/compile.h"
#include "tracer/sandbox.h"

static char root[256];

static const char code[] = "int g = 41;\n"
                           "int main(void) {\n"
                           "    return g == 41 ? 0 : 1;\n"
                           "}\n";

static void test_writes_only_into_the_stopped_stack(void)
{
    char dir[512], out[PATH_MAX], errp[PATH_MAX], err[TR_ERRBUF_LEN], dwerr[DWX_ERRBUF_LEN];
    snprintf(dir, sizeof dir, "%s/w", root);
    REQUIRE(mkdir(dir, 0755) == 0);
    struct tr_compile_opts o = {.run_dir = dir, .code = code, .code_len = strlen(code),
                                .lang = TR_LANG_C, .rt_obj = tr_run_rt_obj()};
    struct tr_compile_result r;
    REQUIRE(tr_compile(&o, &r, err) == TR_OK && r.ok);
    struct dw_index *ix = NULL;
    REQUIRE(dw_index_open(r.exe, r.src_name, &ix, dwerr, sizeof dwerr) == DWX_OK);
    const struct dw_func *mainf = dw_index_func_named(ix, "main");
    dw_addr g;
    REQUIRE(mainf && dw_index_symbol_addr(ix, "g", &g));

    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(errp, sizeof errp, "%s/err", dir);
    struct tr_limits lim;
    tr_limits_default(&lim);
    struct tr_launch l = {.exe = r.exe, .run_dir = dir, .stdin_path = "/dev/null",
                          .stdout_path = out, .stderr_path = errp, .limits = &lim};
    setenv("SPP_AGENT_READS", "channel", 1);
    struct tr_target *t = NULL;
    enum tr_err rc = tr_agent_open(&l, &t, err);
    unsetenv("SPP_AGENT_READS");
    REQUIRE(rc == TR_OK);
    CHECK(tr_target_has(t, TR_CAP_WRITE_MEM));
    REQUIRE(tr_target_insert_bp(t, mainf->low_pc) == TR_OK);
    REQUIRE(tr_target_resume(t, TR_RESUME_CONT, 0) == TR_OK);
    struct tr_stop stop;
    REQUIRE(tr_target_wait(t, tr_now_ms() + 10000, &stop) == TR_OK);
    REQUIRE(stop.kind == TR_STOP_BREAKPOINT && stop.pc == mainf->low_pc);
    struct tr_regs regs;
    REQUIRE(tr_target_regs(t, &regs) == TR_OK);

    /* the red zone below sp: where a leaf function keeps its locals */
    uint8_t fill[64], back[64];
    memset(fill, 0xBE, sizeof fill);
    CHECK_INT(tr_target_write(t, regs.sp - sizeof fill, fill, sizeof fill), TR_OK);
    CHECK_INT(tr_target_read(t, regs.sp - sizeof fill, back, sizeof back), TR_OK);
    CHECK(memcmp(fill, back, sizeof fill) == 0);
    /* at and above sp: main's return address, written back as it is */
    uint8_t ret[8];
    CHECK_INT(tr_target_read(t, regs.sp, ret, sizeof ret), TR_OK);
    CHECK_INT(tr_target_write(t, regs.sp, ret, sizeof ret), TR_OK);
    /* below the red zone, a global, a null page, the top of the address space */
    CHECK_INT(tr_target_write(t, regs.sp - 256, fill, 8), TR_ERR_MEM);
    CHECK_INT(tr_target_write(t, g, fill, 4), TR_ERR_MEM);
    CHECK_INT(tr_target_write(t, 16, fill, 4), TR_ERR_MEM);
    CHECK_INT(tr_target_write(t, UINT64_MAX - 8, fill, 4), TR_ERR_MEM);
    int gv = 0;
    CHECK_INT(tr_target_read(t, g, &gv, sizeof gv), TR_OK);
    CHECK_INT(gv, 41);
    /* the agent survived every refusal: the program ends normally */
    (void)tr_target_remove_bp(t, mainf->low_pc);
    REQUIRE(tr_target_resume(t, TR_RESUME_CONT, 0) == TR_OK);
    REQUIRE(tr_target_wait(t, tr_now_ms() + 10000, &stop) == TR_OK);
    CHECK_INT(stop.kind, TR_STOP_EXITED);
    CHECK_INT(stop.status, 0);
    tr_target_destroy(t);
    dw_index_close(ix);
    tr_compile_result_free(&r);
}

int main(void)
{
    if (rt_scratch_find_rt() != 0)
        SKIP_ALL("runtime object not built (make build/rt/sppmon.o)");
    if (rt_scratch_make(root, sizeof root, "spp-agent-write") != 0)
        SKIP_ALL("cannot make a temporary directory");
    static const struct check_test tests[] = {TEST(test_writes_only_into_the_stopped_stack)};
    int rc = check_run_(tests, sizeof tests / sizeof tests[0]);
    rt_scratch_remove(root);
    return rc;
}
