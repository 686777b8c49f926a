/* `qwen3vl chat PROMPT [-i IMAGE]...`: one question; the answer streams to stdout as it arrives.
 * The call is a non-blocking one, so that the loop here also sees Ctrl-C and cancels it at once. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char chat_usage[] =
    "Usage: qwen3vl chat [OPTIONS] PROMPT\n"
    "\n"
    "Asks one question about the images given with -i and streams the answer to stdout.\n"
    "PROMPT - reads the question from stdin.\n"
    "\n"
    "Options:\n"
    "  -i, --image FILE|URL        an image: a local file (any name; the type is read from its\n"
    "                              bytes) or an http(s):// or data: URL; repeat for more\n"
    "  -m, --model NAME            the model (default alibaba/qwen3-vl-32b-instruct)\n"
    "  -s, --system TEXT           a system message\n"
    "  -t, --max-tokens N          the longest answer, in tokens\n"
    "  -r, --response-format json  ask for a JSON object (or text, the default)\n"
    "  -b, --base-url URL          the server (default $AIML_API_BASE, else https://api.aimlapi.com/v1)\n"
    "      --no-stream             print the answer once it is whole\n"
    "      --json                  print the whole chat.completion as JSON (not streamed)\n"
    "  -h, --help                  this text\n"
    "\n"
    "Exit status: 0 answered, 1 the call failed (the reason on stderr), 2 a usage error,\n"
    "130 interrupted (Ctrl-C cancels the call; a second Ctrl-C exits at once).\n";

/* Ctrl-C waits this long for the cancelled call to end (it takes about 100 ms) before giving up. */
static const double cancel_wait = 0.5;

struct answer {
    int stream;          /* print deltas as they come */
    int line_open;       /* something printed that did not end with a newline */
};

static void print_text(struct answer *a, const char *text, size_t len) {
    if (len == 0) return;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    a->line_open = text[len - 1] != '\n';
}

/* Runs the call to its end (or to Ctrl-C). Returns the signal that interrupted it, else 0. */
static int run(qwen3vl_client *client, qwen3vl_call *call, struct answer *a) {
    int fd = qwen3vl_client_event_fd(client), sig = 0;
    double deadline = 0;
    for (int done = 0; !done;) {
        int events, timeout = sig ? (int)((deadline - now_seconds()) * 1000) : -1;
        if (sig && timeout <= 0) break;
        int s = interrupt_wait(fd, timeout, &events);
        if (s && !sig) {
            sig = s;
            deadline = now_seconds() + cancel_wait;
            qwen3vl_call_cancel(call);  /* its DONE still comes, with the text so far */
        }
        for (qwen3vl_event *ev; (ev = qwen3vl_client_next_event(client, 0)); qwen3vl_event_free(ev)) {
            if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE) {
                done = 1;
            } else if (a->stream) {
                size_t len;
                const char *text = qwen3vl_event_text(ev, &len);
                print_text(a, text, len);
            }
        }
    }
    return sig;
}

static int finish(const qwen3vl_result *r, struct answer *a, int json, int sig) {
    int status = r ? qwen3vl_result_status(r) : QWEN3VL_ERR_CANCELLED;
    if (status == QWEN3VL_OK && json) {
        puts(qwen3vl_result_json(r));
    } else if (status == QWEN3VL_OK && !a->stream) {
        print_text(a, qwen3vl_result_text(r), qwen3vl_result_text_len(r));
    }
    if (a->line_open) putchar('\n');
    if (fflush(stdout) != 0 || ferror(stdout)) {
        complain("stdout: write error");
        return CLI_FAILED;
    }
    if (status == QWEN3VL_OK) return CLI_OK;
    if (sig) return 128 + sig;
    complain("%s: %s", qwen3vl_status_name(status), qwen3vl_result_error(r));
    return CLI_FAILED;
}

int chat_main(int argc, char **argv) {
    static const struct option longopts[] = {
        REQUEST_LONG_OPTIONS,
        {"image", 1, 0, 'i'}, {"no-stream", 0, 0, 'N'}, {"json", 0, 0, 'J'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0},
    };
    struct request_opts ro = {0};
    struct answer a = {1, 0};
    int json = 0, rc = CLI_USAGE;
    char **images = calloc((size_t)argc, sizeof *images);
    size_t n_images = 0;
    char *prompt = NULL, *body = NULL;
    qwen3vl_client *client = NULL;
    if (!images) { complain("out of memory"); return CLI_FAILED; }

    opterr = 0;
    for (int opt; (opt = getopt_long(argc, argv, ":" REQUEST_SHORT_OPTIONS "i:h", longopts, NULL)) != -1;) {
        int taken = request_option(opt, optarg, &ro);
        if (taken < 0) goto out;
        if (taken) continue;
        switch (opt) {
        case 'i':
            /* A local file goes by its absolute path (the library reads it); anything else as given. */
            if (!(images[n_images++] = access(optarg, F_OK) == 0 ? absolute_path(optarg) : strdup(optarg))) {
                complain("out of memory");
                goto out;
            }
            if (check_utf8("--image", optarg)) goto out;
            break;
        case 'N': a.stream = 0; break;
        case 'J': json = 1; a.stream = 0; break;
        case 'h': fputs(chat_usage, stdout); rc = CLI_OK; goto out;
        case ':': complain("chat: %s needs a value", argv[optind - 1]); goto out;
        default: complain("chat: unknown option %s (see qwen3vl chat --help)", argv[optind - 1]); goto out;
        }
    }
    if (argc - optind != 1) {
        complain(argc == optind ? "chat: no prompt (see qwen3vl chat --help)"
                                : "chat: one prompt only; quote it (see qwen3vl chat --help)");
        goto out;
    }
    prompt = strcmp(argv[optind], "-") == 0 ? read_text_file("-") : strdup(argv[optind]);
    if (!prompt || check_utf8("the prompt", prompt)) goto out;

    rc = CLI_FAILED;
    if (!(body = request_json(&ro, prompt, images, n_images))) { complain("out of memory"); goto out; }
    if (interrupt_install() || !(client = client_open(&ro, 1))) goto out;
    qwen3vl_call *call = qwen3vl_call_start(client, body, a.stream ? "{\"stream\": true}" : NULL, NULL);
    if (!call) { complain("out of memory"); goto out; }
    int sig = run(client, call, &a);
    rc = finish(qwen3vl_call_result(call), &a, json, sig);
    qwen3vl_call_free(call);
out:
    qwen3vl_client_free(client);
    for (size_t i = 0; i < n_images; i++) free(images[i]);
    free(images);
    free(prompt);
    free(body);
    return rc;
}
