/*
 * model_json.h — the JSON text form of bpnn_model (see model_json.c).
 */
#ifndef BPNN_MODEL_JSON_H
#define BPNN_MODEL_JSON_H

#include "utils/jsonb.h"

#include "model.h"

/* the document; without weights it is what bpnn_info() shows */
extern char *model_to_json(const BpnnModel *model, bool with_weights);

/* parse and validate a document (errors are invalid text representation) */
extern BpnnModel *model_from_json(const char *text);
extern BpnnModel *model_from_jsonb(Jsonb *document);

/*
 * "key": v as a JSON member: the shortest decimal that reads back as v,
 * whatever extra_float_digits says, and null for NaN or an infinity (JSON
 * has neither)
 */
extern void model_json_append_number(StringInfo buf, const char *key, double v);

#endif							/* BPNN_MODEL_JSON_H */
