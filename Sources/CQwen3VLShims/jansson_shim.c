/* jansson doors for the Swift core: its reference counting and type tests are macros or
 * inline functions built on them. */
#include "qwen3vl_shims.h"

void q3v_json_decref(json_t *j) { json_decref(j); }
json_t *q3v_json_incref(json_t *j) { return json_incref(j); }
int q3v_json_typeof(const json_t *j) { return j ? (int)json_typeof(j) : -1; }
