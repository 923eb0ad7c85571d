/*
 * rt_scratch.h - set-up shared by unit tests that compile real programs:
 * the runtime object to link, and a scratch directory removed afterwards.
 */
#ifndef SPP_TESTS_RT_SCRATCH_H
#define SPP_TESTS_RT_SCRATCH_H

#include <stddef.h>

#include "tracer/request.h"

/* Points SPP_RT_OBJ at build/rt/sppmon.o (tests run from the repository
   root) unless set; 0 when the runtime object is readable. */
int rt_scratch_find_rt(void);

/* A fresh 0755 directory (the compiler may run as another uid) named
   /tmp/<prefix>-XXXXXX into root; 0 on success. */
int rt_scratch_make(char *root, size_t cap, const char *prefix);

/* r (initialised here; free with tr_request_free) asks for the program
   in path: C when its name ends in .c, else C++. 0 when it was read. */
int rt_scratch_request(struct tr_request *r, const char *path);

/* fn(path) for every .c and .cpp file of dir, in name order; the sum of
   what it returned (e.g. how many gave a trace). */
int rt_scratch_each_program(const char *dir, int (*fn)(const char *path));

/* Removes root and everything under it. */
void rt_scratch_remove(const char *root);

#endif
