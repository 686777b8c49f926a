/* Progress of a batch on stderr: on a terminal a bar redrawn in place ten times a second; otherwise
 * (a log file, a CI job) a plain line every few seconds, which reads well in either. */
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const double bar_every = 0.1, line_every = 2.0;  /* seconds between redraws */

static int on_tty, bar_shown;
static double last_draw;

double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_count(char *out, size_t size, int64_t n) {
    if (n < 10000) snprintf(out, size, "%lld", (long long)n);
    else if (n < 10000000) snprintf(out, size, "%.1fk", (double)n / 1e3);
    else snprintf(out, size, "%.1fM", (double)n / 1e6);
}

static void human_time(char *out, size_t size, double seconds) {
    long s = seconds < 0 ? 0 : seconds > 359999 ? 359999 : (long)(seconds + 0.5);
    if (s >= 3600) snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
}

/* "1237/2000, 3 failed, 41.3/s, 12.3k tokens, ETA 0:18" */
static void describe(char *out, size_t size, const struct tally *t, double now) {
    size_t finished = t->done + t->failed;
    double elapsed = now - t->started, rate = elapsed > 0 ? (double)finished / elapsed : 0;
    char tokens[32], eta[32] = "?";
    human_count(tokens, sizeof tokens, t->tokens);
    if (rate > 0) human_time(eta, sizeof eta, (double)(t->total - finished) / rate);
    snprintf(out, size, "%zu/%zu, %zu failed, %.1f/s, %s tokens, ETA %s", finished, t->total, t->failed, rate,
             tokens, eta);
}

static void draw(const struct tally *t, double now) {
    char text[256];
    describe(text, sizeof text, t, now);
    if (!on_tty) {
        fprintf(stderr, "qwen3vl batch: %s\n", text);
        return;
    }
    struct winsize ws;
    int columns = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
    int width = columns - (int)strlen(text) - 4;  /* "[" bar "] " text, one column spare */
    if (width > 40) width = 40;
    fputs("\r[", stderr);
    if (width >= 10) {
        size_t finished = t->done + t->failed;
        int filled = t->total ? (int)((double)finished / (double)t->total * width) : width;
        for (int i = 0; i < width; i++) fputc(i < filled ? '#' : '.', stderr);
        fputs("] ", stderr);
    }
    fputs(text, stderr);
    fputs("\033[K", stderr);  /* clear what a longer earlier line left */
    fflush(stderr);
    bar_shown = 1;
}

void progress_start(const struct tally *t) {
    on_tty = isatty(STDERR_FILENO);
    bar_shown = 0;
    last_draw = t->started;
}

int progress_update(const struct tally *t, int force) {
    double now = now_seconds(), every = on_tty ? bar_every : line_every;
    if (force || now - last_draw >= every) {
        draw(t, now);
        last_draw = now;
    }
    double due = last_draw + every - now;
    return due > 0 ? (int)(due * 1000) + 1 : 0;
}

void progress_note(const char *fmt, ...) {
    if (bar_shown) fputs("\r\033[K", stderr);
    fputs("qwen3vl batch: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    bar_shown = 0;
}

void progress_end(const struct tally *t) {
    if (!on_tty) return;
    draw(t, now_seconds());
    fputc('\n', stderr);
    bar_shown = 0;
}
