#include <string.h>

#include "json.h"
#include "util.h"
#include "banned.h"

json_t *
json_parse_object(const char *buf, size_t len, const char *what, struct tk_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);

	if (!j) {
		tk_err_set(err, "cannot parse %s: %s (line %d)", what, je.text, je.line);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		tk_err_set(err, "cannot parse %s: not a JSON object", what);
		return NULL;
	}
	return j;
}

const char *
json_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
json_strv(json_t *obj, const char *key, char ***out, struct tk_err *err)
{
	json_t *a = json_object_get(obj, key), *v;
	char **r = NULL;
	size_t i;

	*out = NULL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return tk_err_set(err, "'%s' is not an array", key);
	r = xcalloc(json_array_size(a) + 1, sizeof(*r));
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			strv_free(r);
			return tk_err_set(err, "'%s' holds a non-string", key);
		}
		r[i] = xstrdup(json_string_value(v));
	}
	*out = r;
	return 0;
}

json_t *
json_from_strv(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}
