/* SPDX-License-Identifier: MIT */
/* Find things in a local picture with Qwen3-VL, and draw nothing: print where they are in pixels.
 *
 *   cc examples/vision.c $(pkg-config --cflags --libs qwen3vl jansson) -o vision
 *   AIML_API_KEY=... ./vision photo.jpg cat
 *
 * Shows a local image file in a request (the library reads it and sends it as a data URI), the
 * size and token helpers (cost known before sending), and grounding boxes mapped to pixels.
 * jansson (Debian: libjansson-dev) builds the request and reads the boxes. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>
#include <qwen3vl.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s IMAGE WHAT-TO-FIND\n", argv[0]);
        return 2;
    }
    const char *path = argv[1], *what = argv[2];
    char err[512];

    int width, height;
    int64_t tokens;
    if (qwen3vl_image_size(path, &width, &height, err, sizeof err) != QWEN3VL_OK ||
        qwen3vl_image_tokens(width, height, 0, 0, &tokens, err, sizeof err) != QWEN3VL_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("%s: %d x %d px, about %lld vision tokens\n", path, width, height, (long long)tokens);

    char prompt[256];
    snprintf(prompt, sizeof prompt, "Locate every %s in the image. Answer with JSON: "
             "[{\"bbox_2d\": [x1, y1, x2, y2], \"label\": \"...\"}]", what);
    json_t *req = json_pack("{s:[{s:s, s:[{s:s, s:{s:s}}, {s:s, s:s}]}]}",
                            "messages", "role", "user", "content",
                            "type", "image_url", "image_url", "url", path,   /* a local path is fine */
                            "type", "text", "text", prompt);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) return 2;

    qwen3vl_client *client = qwen3vl_client_new(NULL, err, sizeof err);
    if (!client) {
        fprintf(stderr, "client: %s\n", err);
        free(body);
        return 1;
    }
    qwen3vl_result *r = qwen3vl_chat(client, body);
    free(body);
    int status = qwen3vl_result_status(r);
    if (status == QWEN3VL_OK) {
        printf("model: %s\n", qwen3vl_result_text(r));
        char *boxes = NULL;
        size_t boxes_len = 0;
        if (qwen3vl_grounding_parse(qwen3vl_result_text(r), qwen3vl_result_text_len(r), width, height, &boxes,
                                    &boxes_len, err, sizeof err) != QWEN3VL_OK)
            fprintf(stderr, "grounding: %s\n", err);
        json_t *list = boxes ? json_loadb(boxes, boxes_len, 0, NULL) : NULL;
        size_t i;
        json_t *item;
        json_array_foreach(list, i, item) {
            json_t *b = json_object_get(item, "bbox_2d"), *p = json_object_get(item, "point_2d");
            const char *label = json_string_value(json_object_get(item, "label"));
            if (b)
                printf("%s: box (%lld, %lld) - (%lld, %lld) px\n", label ? label : "?",
                       json_integer_value(json_array_get(b, 0)), json_integer_value(json_array_get(b, 1)),
                       json_integer_value(json_array_get(b, 2)), json_integer_value(json_array_get(b, 3)));
            else if (p)
                printf("%s: point (%lld, %lld) px\n", label ? label : "?",
                       json_integer_value(json_array_get(p, 0)), json_integer_value(json_array_get(p, 1)));
        }
        json_decref(list);
        qwen3vl_free(boxes);
    } else {
        fprintf(stderr, "%s: %s\n", qwen3vl_status_name(status), qwen3vl_result_error(r));
    }
    qwen3vl_result_free(r);
    qwen3vl_client_free(client);
    return status == QWEN3VL_OK ? 0 : 1;
}
