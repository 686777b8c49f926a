/* glibc's memmem, a GNU extension that Swift's Glibc module does not show: a fast search of
 * request bodies that may be megabytes long. */
#define _GNU_SOURCE
#include "qwen3vl_shims.h"

#include <string.h>

const void *q3v_memmem(const void *haystack, size_t len, const void *needle, size_t needle_len) {
    return memmem(haystack, len, needle, needle_len);
}
