/* The facts of include/qwen3vl.h that Swift cannot read from it (macros that take arguments or
 * build strings), so that the library takes them from the header, the one place they are written. */
#include "qwen3vl_shims.h"

#include <qwen3vl.h>

const char *q3v_version_string(void) { return QWEN3VL_VERSION_STRING; }

int q3v_version_number(void) { return QWEN3VL_VERSION_NUMBER; }

/* The map lists the statuses in order of value, so its n-th name is the name of status n; the
 * build stops if a status stands elsewhere. */
#define Q3V_INDEX(name) Q3V_INDEX_##name,
enum { QWEN3VL_STATUS_MAP(Q3V_INDEX) Q3V_STATUS_COUNT };
#define Q3V_IN_ORDER(name) \
    _Static_assert(QWEN3VL_##name == Q3V_INDEX_##name, "QWEN3VL_" #name " is not at its value's place in the map");
QWEN3VL_STATUS_MAP(Q3V_IN_ORDER)
#define Q3V_NAME(name) "QWEN3VL_" #name,
static const char *const status_names[Q3V_STATUS_COUNT] = {QWEN3VL_STATUS_MAP(Q3V_NAME)};

const char *q3v_status_name(int status) {
    if (status < 0 || status >= Q3V_STATUS_COUNT) return "QWEN3VL_ERR_UNKNOWN";
    return status_names[status];
}
