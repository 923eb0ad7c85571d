/*
 * enc_scalar.c - a scalar's val slot in every JSON format (seepp, OPT, the
 * raw vgtrace records): numbers raw, bools as JSON booleans, strings as
 * they are.
 */
#include <cjson/cJSON.h>

#include "tracer/enc_int.h"
#include "tracer/model.h"

cJSON *tr_enc_scalar(const struct tr_value *v)
{
    switch (v->stext) {
    case TR_ST_NUMBER:
        return cJSON_CreateRaw(v->text ? v->text : "0");
    case TR_ST_BOOL:
        return cJSON_CreateBool(v->text && v->text[0] == 't');
    case TR_ST_STRING:
        break;
    }
    return cJSON_CreateString(v->text ? v->text : "");
}
