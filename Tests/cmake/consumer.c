/* SPDX-License-Identifier: MIT */
/* The CMake consumer's program: the header and the library find_package gave agree on the
 * version, and one call goes through (to the server AIML_API_BASE names). Prints the reply. */
#include <stdio.h>
#include <string.h>

#include <qwen3vl.h>

int main(void) {
    if (strcmp(qwen3vl_version(), QWEN3VL_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s, library %s\n", QWEN3VL_VERSION_STRING, qwen3vl_version());
        return 1;
    }
    char err[256];
    qwen3vl_client *c = qwen3vl_client_new(NULL, err, sizeof err);
    if (!c) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    qwen3vl_result *r = qwen3vl_chat(c, "{\"messages\":[{\"role\":\"user\",\"content\":\"from CMake\"}]}");
    int status = qwen3vl_result_status(r);
    if (status == QWEN3VL_OK) puts(qwen3vl_result_text(r));
    else fprintf(stderr, "%s: %s\n", qwen3vl_status_name(status), qwen3vl_result_error(r));
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    return status == QWEN3VL_OK ? 0 : 1;
}
