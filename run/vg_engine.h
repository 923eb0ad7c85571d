/*
 * engine.h - the Valgrind engine behind tracer/engine.h's hooks: the
 * program runs under memcheck, driven through valgrind's gdbserver (the
 * Valgrind target), with the same stepper and value reader as ptrace, so
 * it gives the whole trace where ptrace is denied (AWS Lambda), and in
 * memcheck mode a second run beside ptrace whose findings are merged in.
 */
#ifndef SPP_RUN_VG_ENGINE_H
#define SPP_RUN_VG_ENGINE_H

#include "run/engine.h"

/* The hooks for struct tr_run_opts.valgrind (a static table). */
const struct tr_engine_hooks *vg_engine_hooks(void);

#endif
