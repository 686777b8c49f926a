/* The results file of `qwen3vl batch`: one JSON object per line, one line per image. A line is
 * appended in one write and taken back if the write fails, so it is there whole or not at all; a
 * run killed mid-write (or a machine that lost power) can leave a torn last line, which the next run
 * cuts off and redoes. What the file holds says what is done: the last line of a path wins, and its
 * "error" (null or not) says whether it succeeded. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

struct entry {
    char *path;  /* NULL: a free slot */
    int state;   /* JOURNAL_DONE or JOURNAL_FAILED */
    int drop;    /* its failed lines go: the path is tried again */
};

struct line {
    size_t offset, len;  /* in the file as read, newline excluded */
    size_t entry;
};

struct journal {
    char *path;
    int fd;              /* -1 for a read-only look at a file that does not exist */
    int writable;
    off_t size;          /* of the file: where the next line goes */
    struct entry *entries;
    size_t n_entries, cap;
    int any_dropped;     /* some entry has drop set */
    /* The file as read and its lines, kept until journal_drop_retried has run. */
    char *text;
    struct line *lines;
    size_t n_lines;
};

static size_t hash(const char *s) {
    uint64_t h = 1469598103934665603u;  /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

static size_t find(const struct entry *t, size_t cap, const char *path) {
    size_t i = hash(path) & (cap - 1);
    while (t[i].path && strcmp(t[i].path, path) != 0) i = (i + 1) & (cap - 1);
    return i;
}

/* The entry of path, made if new; SIZE_MAX when memory ran out. */
static size_t entry_of(struct journal *j, const char *path) {
    if (2 * (j->n_entries + 1) > j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 1024;
        struct entry *t = calloc(cap, sizeof *t);
        if (!t) return SIZE_MAX;
        for (size_t i = 0; i < j->cap; i++)
            if (j->entries[i].path) t[find(t, cap, j->entries[i].path)] = j->entries[i];
        free(j->entries);
        j->entries = t;
        j->cap = cap;
    }
    size_t i = find(j->entries, j->cap, path);
    if (!j->entries[i].path) {
        if (!(j->entries[i].path = strdup(path))) return SIZE_MAX;
        j->n_entries++;
    }
    return i;
}

static char *read_all(int fd, size_t *len) {
    struct stat st;
    if (fstat(fd, &st) != 0) return NULL;
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    for (ssize_t r; buf; n += (size_t)r) {
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) { free(buf); return NULL; }
            buf = bigger;
        }
        r = pread(fd, buf + n, cap - n, (off_t)n);
        if (r < 0 && errno == EINTR) { r = 0; continue; }
        if (r < 0) { free(buf); return NULL; }
        if (r == 0) break;
    }
    if (buf) *len = n;
    return buf;
}

/* Reads one line: 1 for a result line (its path and state set), 0 for anything else. */
static int result_line(const char *text, size_t len, char **path, int *state) {
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *p = json_object_get(o, "path"), *e = json_object_get(o, "error");
    int ok = json_is_string(p) && (json_is_null(e) || json_is_object(e));
    if (ok) {
        *path = strdup(json_string_value(p));
        *state = json_is_null(e) ? JOURNAL_DONE : JOURNAL_FAILED;
        ok = *path != NULL ? 1 : -1;
    }
    json_decref(o);
    return ok;
}

static int load(struct journal *j, int read_only) {
    size_t len = 0;
    if (!(j->text = read_all(j->fd, &len))) {
        complain("%s: %s", j->path, strerror(errno));
        return -1;
    }
    size_t pos = 0, line_no = 0, cap = 0;
    while (pos < len) {
        line_no++;
        const char *nl = memchr(j->text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (j->text + pos)) : len - pos;
        char *path = NULL;
        int state = 0, ok = nl && n > 0 ? result_line(j->text + pos, n, &path, &state) : 0;
        if (ok < 0) { complain("out of memory"); return -1; }
        if (!ok && n == 0 && nl) { pos++; continue; }  /* a blank line says nothing */
        if (!ok) {
            if (nl && nl + 1 < j->text + len) {
                complain("%s: line %zu is not a result line of qwen3vl batch; leaving the file alone", j->path, line_no);
                return -1;
            }
            /* The last line, torn: cut it off, so that its image is done again. */
            if (!read_only) {
                if (ftruncate(j->fd, (off_t)pos) != 0) {
                    complain("%s: cannot cut off the torn last line: %s", j->path, strerror(errno));
                    return -1;
                }
                complain("%s: the last line was torn (a run cut short); its image is done again", j->path);
            }
            len = pos;
            break;
        }
        size_t e = entry_of(j, path);
        free(path);
        if (e == SIZE_MAX) { complain("out of memory"); return -1; }
        j->entries[e].state = state;
        if (j->n_lines == cap) {
            struct line *bigger = realloc(j->lines, (cap = cap ? 2 * cap : 1024) * sizeof *bigger);
            if (!bigger) { complain("out of memory"); return -1; }
            j->lines = bigger;
        }
        j->lines[j->n_lines++] = (struct line){pos, n, e};
        pos += n + 1;
    }
    j->size = (off_t)len;
    return 0;
}

static void forget_text(struct journal *j) {
    free(j->text);
    free(j->lines);
    j->text = NULL;
    j->lines = NULL;
    j->n_lines = 0;
}

static void journal_free(struct journal *j) {
    if (j->fd >= 0) close(j->fd);
    for (size_t i = 0; i < j->cap; i++) free(j->entries[i].path);
    free(j->entries);
    forget_text(j);
    free(j->path);
    free(j);
}

/* A second run on the same file at once would interleave their work: refuse it. */
static int lock(const struct journal *j, int fd) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
    complain("%s: %s", j->path, errno == EWOULDBLOCK ? "in use by another qwen3vl batch" : strerror(errno));
    return -1;
}

struct journal *journal_open(const char *path, int read_only) {
    struct journal *j = calloc(1, sizeof *j);
    if (!j || !(j->path = strdup(path))) {
        free(j);
        complain("out of memory");
        return NULL;
    }
    j->writable = !read_only;
    j->fd = open(path, read_only ? O_RDONLY | O_CLOEXEC : O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (j->fd < 0 && !(read_only && errno == ENOENT)) {
        complain("%s: %s", path, strerror(errno));
        journal_free(j);
        return NULL;
    }
    if (j->fd >= 0 && ((!read_only && lock(j, j->fd)) || load(j, read_only))) {
        journal_free(j);
        return NULL;
    }
    return j;
}

int journal_state(const struct journal *j, const char *path) {
    if (!j || !j->cap) return JOURNAL_NONE;
    const struct entry *e = &j->entries[find(j->entries, j->cap, path)];
    return e->path ? e->state : JOURNAL_NONE;
}

static int write_all(int fd, struct iovec *iov, int n) {
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        for (; n > 0 && (size_t)w >= iov->iov_len; n--, iov++) w -= (ssize_t)iov->iov_len;
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

void journal_retry(struct journal *j, const char *path) {
    if (!j || !j->cap) return;
    struct entry *e = &j->entries[find(j->entries, j->cap, path)];
    if (e->path && e->state == JOURNAL_FAILED) e->drop = j->any_dropped = 1;
}

int journal_drop_retried(struct journal *j) {
    if (!j->any_dropped || j->fd < 0) {
        forget_text(j);
        return 0;
    }
    size_t len = strlen(j->path);
    char *tmp = malloc(len + 32);
    if (!tmp) { complain("out of memory"); return -1; }
    snprintf(tmp, len + 32, "%s.tmp.%ld", j->path, (long)getpid());
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -1 : lock(j, fd);
    off_t size = 0;
    for (size_t i = 0; rc == 0 && i < j->n_lines; i++) {
        const struct line *l = &j->lines[i];
        if (j->entries[l->entry].drop) continue;
        struct iovec iov[2] = {{j->text + l->offset, l->len}, {"\n", 1}};
        rc = write_all(fd, iov, 2);
        size += (off_t)l->len + 1;
    }
    if (rc == 0) rc = fsync(fd);
    if (rc == 0) rc = rename(tmp, j->path);
    if (rc != 0) {
        complain("%s: cannot rewrite without the failed lines: %s", j->path, strerror(errno));
        if (fd >= 0) close(fd);
        unlink(tmp);
    } else {
        close(j->fd);
        j->fd = fd;
        j->size = size;
    }
    free(tmp);
    forget_text(j);
    return rc;
}

int journal_append(struct journal *j, const char *line, size_t len) {
    struct iovec iov[2] = {{(void *)line, len}, {"\n", 1}};
    if (write_all(j->fd, iov, 2) == 0) {
        j->size += (off_t)len + 1;
        return 0;
    }
    int err = errno;
    (void)!ftruncate(j->fd, j->size);  /* take back what part of the line got written */
    complain("%s: %s", j->path, strerror(err));
    return -1;
}

int journal_close(struct journal *j) {
    if (!j) return 0;
    int rc = 0;
    if (j->writable && fsync(j->fd) != 0) {
        complain("%s: %s", j->path, strerror(errno));
        rc = -1;
    }
    journal_free(j);
    return rc;
}
