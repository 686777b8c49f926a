/* `qwen3vl batch PATH... --prompt P --out results.jsonl`: the same prompt for every image under the
 * paths, up to --concurrency calls in flight on one client, from one thread. The calls are the
 * library's non-blocking ones; this loop polls the client's event descriptor beside the Ctrl-C
 * pipe, starts a call whenever one ends, and appends each result to the results file as it comes. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

const char batch_usage[] =
    "Usage: qwen3vl batch [OPTIONS] PATH... --prompt TEXT --out FILE\n"
    "\n"
    "Sends the prompt with each image under the PATHs (files, or directories searched\n"
    "recursively; a file is an image by its content, whatever its name) and writes one JSON\n"
    "line per image to FILE: path, text, finish_reason, usage, request_id, error.\n"
    "Run it again to go on: images done are skipped, a torn last line is redone, and failed\n"
    "images are tried again only with --retry-failed.\n"
    "\n"
    "Options:\n"
    "  -p, --prompt TEXT           the question asked of every image\n"
    "  -f, --prompt-file FILE      the question, read from FILE (- for stdin)\n"
    "  -o, --out FILE              the results file (JSONL), appended to\n"
    "  -c, --concurrency N         calls in flight at most (default 32); lowered by itself while\n"
    "                              the server keeps answering 429\n"
    "      --retry-failed          try the images that failed in an earlier run again\n"
    "      --resize model|off|N    send each image downscaled: to the size the model resizes it to\n"
    "                              (model: fewer bytes, the same tokens), or to at most N pixels\n"
    "                              (N from 65536: fewer tokens too); off, the default, sends the\n"
    "                              files as they are\n"
    "  -n, --dry-run               list the images and the vision tokens each costs; send nothing\n"
    "  -m, --model NAME            the model (default alibaba/qwen3-vl-32b-instruct)\n"
    "  -s, --system TEXT           a system message\n"
    "  -t, --max-tokens N          the longest answer, in tokens\n"
    "  -r, --response-format json  ask for a JSON object (or text, the default)\n"
    "  -b, --base-url URL          the server (default $AIML_API_BASE, else https://api.aimlapi.com/v1)\n"
    "  -v, --verbose               name each file skipped as not an image\n"
    "  -h, --help                  this text\n"
    "\n"
    "Progress goes to stderr: a live bar on a terminal, otherwise a line every few seconds.\n"
    "Ctrl-C cancels the calls in flight, keeps every finished line and exits 130 within a second;\n"
    "a second Ctrl-C exits at once. Exit status: 0 every image done, 1 some failed (now or in an\n"
    "earlier run), 2 a usage error, 130 interrupted.\n";

/* After Ctrl-C, the cancelled calls get this long to end (they take about 100 ms). */
static const double cancel_wait = 0.8;
/* An image whose call still ends in 429 is put back this many times before its 429 is written. */
static const int max_requeues = 3;

struct slot {
    qwen3vl_call *call;  /* NULL: free */
    size_t image;
    uint64_t ticket;
};

struct run {
    const struct request_opts *ro;
    const char *prompt;
    const char *call_options;        /* qwen3vl_call_start's: the resize, or NULL */
    int64_t resize_budget;           /* --resize N's N, for the dry run's tokens; 0: the model's limits */
    struct image_list *images;
    struct journal *journal;
    qwen3vl_client *client;
    size_t *todo, n_todo, next;      /* images to do, in order, and the next to start */
    size_t *again, n_again;          /* images put back after a 429: started before the rest */
    struct slot *slots;
    size_t *free_slots, n_free;
    int in_flight;
    struct pacer pacer;
    struct tally tally;
    int stopping;                    /* no new calls, the ones in flight cancelled */
    double deadline;                 /* when stopping: the loop ends by then */
    int sig;                         /* the signal that interrupted the run */
    int fatal;                       /* a failure that ends the run: the key refused, a write error */
};

static int has_work(const struct run *r) {
    return r->n_again > 0 || r->next < r->n_todo;
}

static void stop(struct run *r) {
    if (r->stopping) return;
    r->stopping = 1;
    r->deadline = now_seconds() + cancel_wait;
    for (size_t i = 0; i < (size_t)r->pacer.ceiling; i++)
        if (r->slots[i].call) qwen3vl_call_cancel(r->slots[i].call);  /* each still ends with DONE */
}

static int start_one(struct run *r) {
    size_t image = r->n_again > 0 ? r->again[--r->n_again] : r->todo[r->next++];
    char *path = absolute_path(r->images->items[image].path);
    char *body = path ? request_json(r->ro, r->prompt, &path, 1) : NULL;
    free(path);
    struct slot *s = &r->slots[r->free_slots[r->n_free - 1]];
    s->call = body ? qwen3vl_call_start(r->client, body, r->call_options, s) : NULL;
    free(body);
    if (!s->call) {
        complain("out of memory");
        return -1;
    }
    r->n_free--;
    s->image = image;
    s->ticket = pacer_start(&r->pacer);
    r->in_flight++;
    return 0;
}

static json_t *string_or_null(const char *s) {
    return *s ? json_string(s) : json_null();
}

static json_t *count_or_null(int64_t n) {
    return n >= 0 ? json_integer((json_int_t)n) : json_null();
}

static json_t *usage_or_null(const qwen3vl_result *res) {
    if (qwen3vl_result_tokens(res, QWEN3VL_TOKENS_TOTAL) < 0) return json_null();
    return json_pack("{s:o, s:o, s:o}", "prompt_tokens", count_or_null(qwen3vl_result_tokens(res, QWEN3VL_TOKENS_PROMPT)),
                     "completion_tokens", count_or_null(qwen3vl_result_tokens(res, QWEN3VL_TOKENS_COMPLETION)),
                     "total_tokens", count_or_null(qwen3vl_result_tokens(res, QWEN3VL_TOKENS_TOTAL)));
}

/* The result's line: path, text, finish_reason, usage, request_id, error. */
static char *result_line(const char *path, const qwen3vl_result *res) {
    int status = qwen3vl_result_status(res);
    json_t *error = status == QWEN3VL_OK
                        ? json_null()
                        : json_pack("{s:s, s:s, s:i}", "status", qwen3vl_status_name(status), "message",
                                    qwen3vl_result_error(res), "http_status", qwen3vl_result_http_status(res));
    if (status != QWEN3VL_OK && !error) return NULL;
    /* A NULL value (a text that is not UTF-8: the library never gives one) is written as null. */
    json_t *o = json_pack("{s:s, s:o?, s:o?, s:o?, s:o?, s:o}", "path", path, "text",
                          json_stringn(qwen3vl_result_text(res), qwen3vl_result_text_len(res)), "finish_reason",
                          string_or_null(qwen3vl_result_finish_reason(res)), "usage", usage_or_null(res),
                          "request_id", string_or_null(qwen3vl_result_request_id(res)), "error", error);
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return line;
}

static void write_result(struct run *r, const struct image *im, const qwen3vl_result *res) {
    char *line = result_line(im->path, res);
    if (!line) complain("out of memory");
    if (!line || journal_append(r->journal, line, strlen(line))) {
        r->fatal = 1;
        stop(r);
    } else if (qwen3vl_result_status(res) == QWEN3VL_OK) {
        r->tally.done++;
        int64_t tokens = qwen3vl_result_tokens(res, QWEN3VL_TOKENS_TOTAL);
        r->tally.tokens += tokens > 0 ? tokens : 0;
    } else {
        r->tally.failed++;
    }
    free(line);
}

/* A call's DONE: write its line, or put its image back (429), or stop the run (the key refused). */
static void finished(struct run *r, struct slot *s) {
    const qwen3vl_result *res = qwen3vl_call_result(s->call);
    struct image *im = &r->images->items[s->image];
    int status = qwen3vl_result_status(res);
    if (status == QWEN3VL_ERR_CANCELLED && r->stopping) {
        /* not written: the next run does it */
    } else if (status == QWEN3VL_ERR_AUTH) {
        /* Every other call would fail the same way; no line, so a run with the right key does them. */
        if (!r->stopping) progress_note("the server refused the key: %s", qwen3vl_result_error(res));
        r->fatal = 1;
        stop(r);
    } else if (status == QWEN3VL_ERR_RATE_LIMIT && !r->stopping && im->tries < max_requeues) {
        im->tries++;
        r->again[r->n_again++] = s->image;
        if (!pacer_rate_limited(&r->pacer, s->ticket, now_seconds())) {
            /* a call of the round already counted */
        } else if (pacer_gave_up(&r->pacer)) {
            progress_note("the server answers nothing but 429 (%s); stopping", qwen3vl_result_error(res));
            r->fatal = 1;
            stop(r);
        } else {
            progress_note("HTTP 429 after the retries: at most %d call%s at once now", r->pacer.limit,
                          r->pacer.limit == 1 ? "" : "s");
        }
    } else {
        if (status == QWEN3VL_OK) pacer_succeeded(&r->pacer);
        write_result(r, im, res);
    }
    qwen3vl_call_free(s->call);
    s->call = NULL;
    r->free_slots[r->n_free++] = (size_t)(s - r->slots);
    r->in_flight--;
}

static int min_ms(int a, double seconds) {
    int b = seconds <= 0 ? 0 : seconds > 3600 ? 3600000 : (int)(seconds * 1000) + 1;
    return a < 0 || b < a ? b : a;
}

static void loop(struct run *r) {
    int fd = qwen3vl_client_event_fd(r->client);
    progress_start(&r->tally);
    for (;;) {
        double now = now_seconds();
        while (!r->stopping && has_work(r) && pacer_may_start(&r->pacer, r->in_flight, now))
            if (start_one(r)) {
                r->fatal = 1;
                stop(r);
            }
        if (r->in_flight == 0 && (r->stopping || !has_work(r))) break;
        if (r->stopping && now >= r->deadline) break;
        int timeout = progress_update(&r->tally, 0);
        if (r->stopping) timeout = min_ms(timeout, r->deadline - now);
        else if (has_work(r) && r->in_flight < r->pacer.limit) timeout = min_ms(timeout, r->pacer.hold_until - now);
        int events, sig = interrupt_wait(fd, timeout, &events);
        if (sig && !r->sig) {
            r->sig = sig;
            progress_note("interrupted: cancelling the %d calls in flight", r->in_flight);
            stop(r);
        }
        for (qwen3vl_event *ev; (ev = qwen3vl_client_next_event(r->client, 0)); qwen3vl_event_free(ev))
            if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE) finished(r, qwen3vl_event_user_data(ev));
    }
    progress_end(&r->tally);
}

/* Lists what a run would send and the vision tokens each image costs. */
static void dry_run(const struct run *r, size_t done_before) {
    int64_t total = 0;
    size_t refused = 0;
    for (size_t i = 0; i < r->n_todo; i++) {
        const struct image *im = &r->images->items[r->todo[i]];
        int64_t tokens;
        char why[256];
        if (qwen3vl_image_tokens(im->width, im->height, 0, r->resize_budget, &tokens, why, sizeof why) != QWEN3VL_OK) {
            refused++;
            printf("%8s  %5dx%-5d  %s  (%s)\n", "refused", im->width, im->height, im->path, why);
        } else {
            total += tokens;
            printf("%8lld  %5dx%-5d  %s\n", (long long)tokens, im->width, im->height, im->path);
        }
    }
    printf("%8lld  vision tokens for %zu images", (long long)total, r->n_todo);
    if (done_before) printf(" (%zu more done before)", done_before);
    if (refused) printf("; %zu of a size the model refuses", refused);
    printf("\n");
}

static void summary(const struct run *r, size_t done_before, size_t failed_before, size_t not_images,
                    const char *out) {
    size_t left = r->n_todo - r->tally.done - r->tally.failed;
    char tokens[64];
    snprintf(tokens, sizeof tokens, "%lld", (long long)r->tally.tokens);
    fprintf(stderr, "qwen3vl batch: %s%zu done, %zu failed", r->sig ? "interrupted; " : "", r->tally.done,
            r->tally.failed);
    if (left) fprintf(stderr, ", %zu not done", left);
    if (done_before) fprintf(stderr, ", %zu done before", done_before);
    if (failed_before) fprintf(stderr, ", %zu failed before (--retry-failed tries them again)", failed_before);
    if (not_images) fprintf(stderr, ", %zu file%s skipped (not images)", not_images, not_images == 1 ? "" : "s");
    fprintf(stderr, "; %s tokens in %.1f s -> %s\n", tokens, now_seconds() - r->tally.started, out);
    if (left && !r->fatal) fprintf(stderr, "qwen3vl batch: run the same command again to go on\n");
}

struct batch_opts {
    struct request_opts ro;
    const char *prompt, *prompt_file, *out;
    long concurrency;
    int retry_failed, dry_run, verbose;
    char call_options[64];           /* "": none */
    int64_t resize_budget;
};

/* --resize model|off|N as the calls' options; -1 after saying what is wrong. */
static int parse_resize(const char *arg, struct batch_opts *o) {
    o->resize_budget = 0;
    if (strcmp(arg, "off") == 0) {
        o->call_options[0] = 0;
        return 0;
    }
    if (strcmp(arg, "model") == 0) {
        snprintf(o->call_options, sizeof o->call_options, "{\"resize\":\"model\"}");
        return 0;
    }
    char *end;
    errno = 0;
    long long n = strtoll(arg, &end, 10);
    if (errno || *end || end == arg || n < 65536) {
        /* The model scales smaller images up to its 65536-pixel minimum: a budget under it buys nothing. */
        complain("--resize takes model, off or a number of pixels from 65536, not \"%s\"", arg);
        return -1;
    }
    o->resize_budget = n;
    snprintf(o->call_options, sizeof o->call_options, "{\"resize\":{\"max_pixels\":%lld}}", n);
    return 0;
}

/* 0 when the options make a run, else CLI_USAGE (said) or CLI_OK (--help printed). */
static int parse(int argc, char **argv, struct batch_opts *o) {
    static const struct option longopts[] = {
        REQUEST_LONG_OPTIONS,
        {"prompt", 1, 0, 'p'}, {"prompt-file", 1, 0, 'f'}, {"out", 1, 0, 'o'}, {"concurrency", 1, 0, 'c'},
        {"retry-failed", 0, 0, 'R'}, {"dry-run", 0, 0, 'n'}, {"verbose", 0, 0, 'v'}, {"help", 0, 0, 'h'},
        {"resize", 1, 0, 'Z'},
        {0, 0, 0, 0},
    };
    opterr = 0;
    for (int opt; (opt = getopt_long(argc, argv, ":" REQUEST_SHORT_OPTIONS "p:f:o:c:nvh", longopts, NULL)) != -1;) {
        int taken = request_option(opt, optarg, &o->ro);
        if (taken < 0) return CLI_USAGE;
        if (taken) continue;
        char *end;
        switch (opt) {
        case 'p': o->prompt = optarg; break;
        case 'f': o->prompt_file = optarg; break;
        case 'o': o->out = optarg; break;
        case 'c':
            o->concurrency = strtol(optarg, &end, 10);
            if (*end || end == optarg || o->concurrency < 1 || o->concurrency > 10000) {
                complain("--concurrency takes a whole number from 1 to 10000, not \"%s\"", optarg);
                return CLI_USAGE;
            }
            break;
        case 'R': o->retry_failed = 1; break;
        case 'Z':
            if (parse_resize(optarg, o)) return CLI_USAGE;
            break;
        case 'n': o->dry_run = 1; break;
        case 'v': o->verbose = 1; break;
        case 'h': fputs(batch_usage, stdout); return CLI_OK;
        case ':': complain("batch: %s needs a value", argv[optind - 1]); return CLI_USAGE;
        default: complain("batch: unknown option %s (see qwen3vl batch --help)", argv[optind - 1]); return CLI_USAGE;
        }
    }
    const char *missing = optind == argc                   ? "no PATH to look for images in"
                          : !o->prompt == !o->prompt_file ? "one of --prompt and --prompt-file"
                          : !o->out && !o->dry_run         ? "no --out file"
                                                           : NULL;
    if (missing) {
        complain("batch: %s (see qwen3vl batch --help)", missing);
        return CLI_USAGE;
    }
    return -1;
}

int batch_main(int argc, char **argv) {
    struct batch_opts o = {.concurrency = 32};
    int rc = parse(argc, argv, &o);
    if (rc >= 0) return rc;
    char *prompt = o.prompt ? strdup(o.prompt) : read_text_file(o.prompt_file);
    if (!prompt || check_utf8("the prompt", prompt)) {
        free(prompt);
        return CLI_USAGE;
    }

    struct image_list images = {0};
    struct run r = {.ro = &o.ro, .prompt = prompt, .images = &images, .resize_budget = o.resize_budget,
                    .call_options = o.call_options[0] ? o.call_options : NULL};
    size_t done_before = 0, failed_before = 0;
    rc = CLI_USAGE;
    if (discover(argv + optind, (size_t)(argc - optind), o.verbose, &images)) goto out;
    if (o.out && !(r.journal = journal_open(o.out, o.dry_run))) goto out;

    rc = CLI_FAILED;
    if (!(r.todo = malloc((images.n + 1) * sizeof *r.todo)) || !(r.again = malloc((images.n + 1) * sizeof *r.again))) {
        complain("out of memory");
        goto out;
    }
    for (size_t i = 0; i < images.n; i++) {
        int state = journal_state(r.journal, images.items[i].path);
        if (state == JOURNAL_DONE) {
            done_before++;
        } else if (state == JOURNAL_FAILED && !o.retry_failed) {
            failed_before++;
        } else {
            if (state == JOURNAL_FAILED) journal_retry(r.journal, images.items[i].path);
            r.todo[r.n_todo++] = i;
        }
    }
    r.tally = (struct tally){r.n_todo, 0, 0, 0, now_seconds()};
    if (o.dry_run) {
        dry_run(&r, done_before);
        rc = CLI_OK;
        goto out;
    }
    if (journal_drop_retried(r.journal)) goto out;

    int ceiling = (int)o.concurrency;
    r.slots = calloc((size_t)ceiling, sizeof *r.slots);
    r.free_slots = malloc((size_t)ceiling * sizeof *r.free_slots);
    if (!r.slots || !r.free_slots) { complain("out of memory"); goto out; }
    for (int i = 0; i < ceiling; i++) r.free_slots[r.n_free++] = (size_t)(ceiling - 1 - i);
    pacer_init(&r.pacer, ceiling);
    if (r.n_todo > 0) {
        if (interrupt_install() || !(r.client = client_open(&o.ro, ceiling))) goto out;
        loop(&r);
    }
    for (int i = 0; i < ceiling; i++) qwen3vl_call_free(r.slots[i].call);  /* those the deadline left */
    qwen3vl_client_free(r.client);
    r.client = NULL;
    if (journal_close(r.journal)) r.fatal = 1;
    r.journal = NULL;
    summary(&r, done_before, failed_before, images.not_images, o.out);
    rc = r.sig ? 128 + r.sig : r.fatal || r.tally.failed || failed_before ? CLI_FAILED : CLI_OK;
out:
    qwen3vl_client_free(r.client);
    journal_close(r.journal);
    free(r.slots);
    free(r.free_slots);
    free(r.todo);
    free(r.again);
    image_list_free(&images);
    free(prompt);
    return rc;
}
