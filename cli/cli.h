/* What the files of the qwen3vl command share. Each .c file has one job, named by the file:
 *   main.c      the command line: which command, --help, --version
 *   chat.c      `qwen3vl chat`: one question, the answer streamed to stdout
 *   batch.c     `qwen3vl batch`: many images, many calls in flight, one JSONL line each
 *   request.c   the options both commands share, the request JSON, the client
 *   interrupt.c Ctrl-C as a descriptor the event loop watches (a self-pipe)
 *   discover.c  the images under the paths given, found by their content
 *   journal.c   the results file: what is done already, lines appended whole or not at all
 *   pacer.c     how many calls may be in flight, lowered while 429s keep coming
 *   progress.c  the live bar on a terminal, plain lines otherwise
 * Only the public C API of libqwen3vl (qwen3vl.h) is used. */
#ifndef QWEN3VL_CLI_H
#define QWEN3VL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <qwen3vl.h>

/* Exit codes: all done; some failed; a usage error; interrupted is 128 + the signal (130 for Ctrl-C). */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

int chat_main(int argc, char **argv);
int batch_main(int argc, char **argv);
extern const char chat_usage[], batch_usage[];

/* Prints "qwen3vl: " and the message to stderr (a usage error when the caller returns CLI_USAGE). */
void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- request.c ----------------------------------------------------------------------------- */

struct request_opts {
    const char *model, *system, *response_format, *base_url;
    long max_tokens;  /* 0: the server's default */
};

/* getopt_long entries of the shared options; their values are the short options below. */
#define REQUEST_LONG_OPTIONS                                                                        \
    {"model", 1, 0, 'm'}, {"system", 1, 0, 's'}, {"max-tokens", 1, 0, 't'},                       \
        {"response-format", 1, 0, 'r'}, {"base-url", 1, 0, 'b'}
#define REQUEST_SHORT_OPTIONS "m:s:t:r:b:"

/* Takes a shared option: 1 when taken, 0 when opt is not one of them, -1 for a bad value (said). */
int request_option(int opt, const char *arg, struct request_opts *o);

/* The chat-completions body for a prompt and images (paths or URLs), as malloc'd JSON; NULL if
   memory ran out. */
char *request_json(const struct request_opts *o, const char *prompt, char *const *images, size_t n_images);

/* 0 when text is UTF-8, else -1 after saying that what is not. */
int check_utf8(const char *what, const char *text);

/* A local path as an absolute one, so that the library cannot take "a:b.png" for a URL; malloc'd. */
char *absolute_path(const char *path);

/* The client for these options (key and base URL from the environment unless --base-url), with
   room for max_connections connections; NULL after saying why. */
qwen3vl_client *client_open(const struct request_opts *o, int max_connections);

/* The whole of a file (or stdin for "-"), NUL-terminated, trailing white space cut; NULL after saying why. */
char *read_text_file(const char *path);

/* ---- interrupt.c --------------------------------------------------------------------------- */

/* Routes SIGINT and SIGTERM to a pipe the loop watches; a second one exits at once (128 + signal). */
int interrupt_install(void);
/* Waits up to timeout_ms (-1: no limit) for the client's events or an interrupt. Returns the
   signal number when one came (else 0); *events is set when the client has events waiting. */
int interrupt_wait(int event_fd, int timeout_ms, int *events);

/* ---- discover.c ---------------------------------------------------------------------------- */

struct image {
    char *path;          /* as found: the argument, then the names under it */
    int width, height;
    int tries;           /* times put back after a 429 (batch.c) */
};
struct image_list {
    struct image *items;
    size_t n, cap;
    size_t not_images;   /* regular files skipped because they are not images the library reads */
};

/* Every image under the paths (files, or directories walked recursively; each file once), typed by
   content, directory entries in name order. verbose: name each skipped file on stderr. Returns 0,
   or -1 after saying why (a path that does not exist, or out of memory). */
int discover(char *const *paths, size_t n, int verbose, struct image_list *out);
void image_list_free(struct image_list *l);

/* ---- journal.c ----------------------------------------------------------------------------- */

enum { JOURNAL_NONE = 0, JOURNAL_DONE = 1, JOURNAL_FAILED = 2 };
struct journal;

/* Opens (creating it unless read_only) the results file and reads what it holds. A torn last line
   (a run that died while writing it) is cut off, unless read_only. NULL after saying why (a line
   before the last that is not a result line is such a reason). */
struct journal *journal_open(const char *path, int read_only);
/* What the file says of path: JOURNAL_NONE, _DONE or _FAILED (the last line for it counts). */
int journal_state(const struct journal *j, const char *path);
/* Marks a failed path to be tried again: journal_drop_retried removes its lines. */
void journal_retry(struct journal *j, const char *path);
/* Rewrites the file without the lines of the paths marked, in one rename (a crash leaves either
   file whole). 0, or -1 after saying why. */
int journal_drop_retried(struct journal *j);
/* Appends one line (without its newline): the whole line or, if the write fails, nothing. */
int journal_append(struct journal *j, const char *line, size_t len);
/* Syncs and closes; 0, or -1 after saying why. NULL is a no-op. */
int journal_close(struct journal *j);

/* ---- pacer.c ------------------------------------------------------------------------------- */

struct pacer {
    int ceiling, limit;      /* --concurrency, and what is allowed now */
    uint64_t tickets, cut;   /* calls started so far; the ticket count at the last cut */
    int streak;              /* cuts without a success in between */
    double credit;           /* successes towards the next step up */
    double hold_until;       /* no new call before this (monotonic seconds) */
};
void pacer_init(struct pacer *p, int ceiling);
/* A call starts now: its ticket, to hand back with its outcome. */
uint64_t pacer_start(struct pacer *p);
/* A call ended with HTTP 429 after the library's retries. Returns 1 when this lowered the limit. */
int pacer_rate_limited(struct pacer *p, uint64_t ticket, double now);
void pacer_succeeded(struct pacer *p);
/* 1 once 429s have kept coming through several cuts with no success: time to stop the run. */
int pacer_gave_up(const struct pacer *p);
int pacer_may_start(const struct pacer *p, int in_flight, double now);

/* ---- progress.c ---------------------------------------------------------------------------- */

struct tally {
    size_t total, done, failed;   /* of this run's work */
    int64_t tokens;               /* prompt + completion tokens of the calls done */
    double started;               /* monotonic seconds */
};
/* Starts showing progress on stderr: a bar when it is a terminal, else a line every few seconds. */
void progress_start(const struct tally *t);
/* Redraws when due (force: now). Returns the milliseconds until the next redraw is due. */
int progress_update(const struct tally *t, int force);
/* A message line that does not garble the bar. */
void progress_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Leaves the bar's line (the final state drawn). */
void progress_end(const struct tally *t);

double now_seconds(void);  /* CLOCK_MONOTONIC */

#endif
