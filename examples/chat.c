/* SPDX-License-Identifier: MIT */
/* Ask Qwen3-VL about a picture.
 *
 *   cc examples/chat.c $(pkg-config --cflags --libs qwen3vl jansson) -o chat
 *   AIML_API_KEY=... ./chat "What is in this picture?" https://example.com/cat.jpg
 *
 * The key and base URL come from the environment (AIML_API_KEY, AIML_API_BASE). The request is
 * built with jansson (Debian: libjansson-dev), so that any question is escaped properly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <qwen3vl.h>

int main(int argc, char **argv) {
    const char *question = argc > 1 ? argv[1] : "Describe this image in one sentence.";
    const char *image = argc > 2 ? argv[2]
        : "https://upload.wikimedia.org/wikipedia/commons/3/3a/Cat03.jpg";

    /* Build the request with jansson so that any text is escaped properly. */
    json_t *req = json_pack("{s:[{s:s, s:[{s:s, s:s}, {s:s, s:{s:s}}]}], s:i}",
                            "messages", "role", "user", "content",
                            "type", "text", "text", question,
                            "type", "image_url", "image_url", "url", image,
                            "max_tokens", 256);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) return 2;

    char err[512];
    qwen3vl_client *client = qwen3vl_client_new(NULL, err, sizeof err);
    if (!client) {
        fprintf(stderr, "client: %s\n", err);
        free(body);
        return 1;
    }
    qwen3vl_result *r = qwen3vl_chat(client, body);
    int status = qwen3vl_result_status(r);
    if (status == QWEN3VL_OK) {
        printf("%s\n", qwen3vl_result_text(r));
        fprintf(stderr, "[%s, %lld tokens, request %s, %.0f ms]\n", qwen3vl_result_finish_reason(r),
                (long long)qwen3vl_result_tokens(r, QWEN3VL_TOKENS_TOTAL), qwen3vl_result_request_id(r),
                qwen3vl_result_elapsed_ms(r));
    } else {
        fprintf(stderr, "%s: %s\n", qwen3vl_status_name(status), qwen3vl_result_error(r));
    }
    qwen3vl_result_free(r);
    qwen3vl_client_free(client);
    free(body);
    return status == QWEN3VL_OK ? 0 : 1;
}
