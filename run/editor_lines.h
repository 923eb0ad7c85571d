/*
 * editor_lines.h - line numbers in message text as the student's editor
 * shows them when the code came with See++'s `#define union struct` line.
 *
 * See++'s backend prepends that line; its frontend subtracts 1 from every
 * `line` field but cannot know which numbers inside a message are lines, so
 * "allocated at line 7" would point one line below the code meant.
 */
#ifndef SPP_RUN_EDITOR_LINES_H
#define SPP_RUN_EDITOR_LINES_H

#include "tracer/model.h"

/* Rewrite the line numbers the tracer writes into messages ("at line N in
   f", "(line N in f)") to N - 1 in every step's exception message and
   memcheck findings, the findings at exit and the ending's message. Text
   the program supplied (an exception's what(), an assertion) is left as it
   is. Returns 0, -1 when out of memory (messages then keep their lines). */
int run_editor_lines(struct tr_trace *t);

#endif
