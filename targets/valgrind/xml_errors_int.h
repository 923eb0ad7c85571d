/*
 * xml_errors_int.h - folder-private: a streaming decoder of memcheck's --xml
 * output (protocol version 4) into a struct vg_errs store.
 *
 * Fed in arbitrary slices as the file grows; each completed <error> becomes
 * one record. The stream is hostile input (the program shares the run dir):
 * DOCTYPE and entity declarations are refused, texts and depth are capped.
 */
#ifndef SPP_TARGETS_VALGRIND_XML_ERRORS_INT_H
#define SPP_TARGETS_VALGRIND_XML_ERRORS_INT_H

#include <stddef.h>

#include "tracer/err.h"
#include "targets/valgrind/errs_int.h"

#define VGM_XML_TEXT_MAX (64u << 10) /* one element's text */

struct vg_xml;

/* Records go to out (borrowed, must outlive the decoder). Free with
   vg_xml_free. */
enum tr_err vg_xml_new(struct vg_errs *out, char *errbuf, struct vg_xml **px) TR_WUR;
void vg_xml_free(struct vg_xml *x);

/* Decodes the next len bytes. After a failure every later call fails too. */
enum tr_err vg_xml_feed(struct vg_xml *x, const char *buf, size_t len) TR_WUR;

#endif
