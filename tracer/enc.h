/*
 * enc.h - encoders: the trace model as See++'s ProgramTrace (seepp), as
 * Python Tutor's format (opt), as See++'s raw SPP-Valgrind text (vgtrace),
 * and the service response that carries them (service-contract.md).
 *
 * Every encoder returns malloc'd text (free with free()) and its length, or
 * NULL when out of memory. Output is capped at cap bytes: when the trace
 * would be larger, it ends early at a step marked as the limit, with a
 * message saying so (never invalid JSON, never silently cut).
 */
#ifndef SPP_TRACER_ENC_H
#define SPP_TRACER_ENC_H

#include <stddef.h>

#include "tracer/model.h"

enum tr_enc_style { TR_ENC_SEEPP, TR_ENC_OPT };

/* What a capped encoder wrote: kept of total steps (records for vgtrace).
   kept < total means the text ends early. limit is read: the size the cut
   step's message names (the caller's cap as its user knows it; 0: cap). */
struct tr_enc_cut {
    size_t kept, total;
    size_t limit;
};

/* The last step kept is re-marked instruction_limit_reached with "The trace
   stopped at step K of N: ..." (cut may be NULL). */
char *tr_enc_trace(const struct tr_trace *t, enum tr_enc_style style, size_t cap, size_t *len,
                   struct tr_enc_cut *cut);

/* See++'s raw SPP-Valgrind text (trace-format.md section 2; the response's
   traceContent): one record per step, hidden steps included. Over cap, it
   ends after the last whole record that fits (cut, which may be NULL, says
   how many). "" for a compile error. */
char *tr_enc_vgtrace(const struct tr_trace *t, size_t cap, size_t *len, struct tr_enc_cut *cut);

/* A readable trace for a terminal (enc_text.c): per step its line, source
   text and call stack, the values it changed (old -> new), new output, then
   how the program ended. colour: ANSI colours. Past cap bytes it stops with
   a line saying so. */
char *tr_enc_text(const struct tr_trace *t, int colour, size_t cap, size_t *len);

#endif
