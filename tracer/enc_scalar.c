/*
 * enc_scalar.c - a scalar's val slot in every JSON format (seepp, OPT, the
 * raw vgtrace records): numbers raw, bools as JSON booleans, strings as
 * they are, and characters as the character itself.
 *
 * A char travels as the one-character JSON string of that character, so a
 * frontend that shows a string value with JSON.stringify (See++'s does)
 * shows 'a' as "a", a newline as "\n" and 0x02 as "\u0002": one escape,
 * never the doubled backslashes a C-escape text ("\\x02") became. What
 * no JSON string can show as itself is its number, as C has it: a byte
 * above 0x7e in a char (not text alone; a signed char's is negative), DEL,
 * and a wide character that is no printable Unicode scalar value
 * (docs/trace-notes.md, "Characters").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tracer/enc_int.h"
#include "tracer/model.h"
#include "tracer/text.h"

/* Can the string of this character show it? ASCII but DEL (controls show
   as JSON's own short escapes); for wide characters also the printable
   code points past the C1 controls, surrogates excluded. */
static int shown_as_text(int64_t ch, uint64_t size)
{
    if (ch >= 0 && ch < 0x7f)
        return 1;
    return size > 1 && ch >= 0xa0 && ch <= 0x10ffff && !(ch >= 0xd800 && ch < 0xe000);
}

static cJSON *char_json(const struct tr_value *v)
{
    int64_t ch = (int64_t)v->target;
    char buf[32];
    if (!shown_as_text(ch, v->size)) {
        snprintf(buf, sizeof buf, "%" PRId64, ch);
        return cJSON_CreateRaw(buf);
    }
    if (ch == 0) /* a C string cannot hold it; JSON's escape can */
        return cJSON_CreateRaw("\"\\u0000\"");
    tr_text_utf8((uint32_t)ch, buf);
    return cJSON_CreateString(buf);
}

cJSON *tr_enc_scalar(const struct tr_value *v)
{
    switch (v->stext) {
    case TR_ST_NUMBER:
        return cJSON_CreateRaw(v->text ? v->text : "0");
    case TR_ST_BOOL:
        return cJSON_CreateBool(v->text && v->text[0] == 't');
    case TR_ST_CHAR:
        return char_json(v);
    case TR_ST_STRING:
        break;
    }
    return cJSON_CreateString(v->text ? v->text : "");
}

int tr_enc_scalar_put(struct tr_enc_buf *b, const struct tr_value *v)
{
    switch (v->stext) {
    case TR_ST_NUMBER: {
        const char *t = v->text ? v->text : "0";
        return tr_enc_buf_put(b, t, strlen(t));
    }
    case TR_ST_BOOL:
        return v->text && v->text[0] == 't' ? tr_enc_buf_put(b, "true", 4)
                                            : tr_enc_buf_put(b, "false", 5);
    case TR_ST_CHAR: {
        int64_t ch = (int64_t)v->target;
        char buf[32];
        if (!shown_as_text(ch, v->size)) {
            int n = snprintf(buf, sizeof buf, "%" PRId64, ch);
            return tr_enc_buf_put(b, buf, (size_t)n);
        }
        if (ch == 0)
            return tr_enc_buf_put(b, "\"\\u0000\"", 8);
        tr_text_utf8((uint32_t)ch, buf);
        return tr_enc_buf_str(b, buf);
    }
    case TR_ST_STRING:
        break;
    }
    return tr_enc_buf_str(b, v->text ? v->text : "");
}
