/* Small jansson helpers for reading untrusted JSON with checked types. */
#ifndef TK_JSON_H
#define TK_JSON_H
#include <jansson.h>

#include "err.h"

static inline void cleanup_json_decrefp(json_t **j) { json_decref(*j); }
#define cleanup_json __attribute__((cleanup(cleanup_json_decrefp)))

/* Parse buf (len bytes) as a JSON object; what names it in errors. */
json_t *json_parse_object(const char *buf, size_t len, const char *what, struct tk_err *err);
/* The string member key of obj, or NULL when missing or not a string. */
const char *json_str(json_t *obj, const char *key);
/* Member key as a NULL-terminated string vector. NULL when missing or
 * null; -1 and err when present but not an array of strings. */
int json_strv(json_t *obj, const char *key, char ***out, struct tk_err *err);
/* A string vector as a JSON array (NULL -> []). */
json_t *json_from_strv(char *const *v);

#endif
