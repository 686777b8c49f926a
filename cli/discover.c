/* The images under the paths given on the command line. A file is an image when the library reads
 * its size from its header (qwen3vl_image_size: the type from the first bytes, whatever the name),
 * so what is sent is exactly what the library will accept. Directories are walked recursively, in
 * name order; each file (and directory) is visited once, by device and inode, so links and
 * overlapping arguments neither repeat work nor loop. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Files and directories seen, by (device, inode): an open-addressing set that doubles. */
struct seen {
    struct { dev_t dev; ino_t ino; int used; } *slots;
    size_t n, cap;
};

static size_t slot_of(const struct seen *s, dev_t dev, ino_t ino) {
    uint64_t h = ((uint64_t)dev * 0x9E3779B97F4A7C15u) ^ ((uint64_t)ino * 0xC2B2AE3D27D4EB4Fu);
    size_t i = (size_t)(h ^ (h >> 29)) & (s->cap - 1);
    while (s->slots[i].used && (s->slots[i].dev != dev || s->slots[i].ino != ino)) i = (i + 1) & (s->cap - 1);
    return i;
}

/* 1 when new (and now recorded), 0 when seen before, -1 when memory ran out. */
static int first_visit(struct seen *s, const struct stat *st) {
    if (2 * (s->n + 1) > s->cap) {
        struct seen bigger = {calloc(s->cap ? 2 * s->cap : 256, sizeof *s->slots), 0, s->cap ? 2 * s->cap : 256};
        if (!bigger.slots) return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i].used) bigger.slots[slot_of(&bigger, s->slots[i].dev, s->slots[i].ino)] = s->slots[i];
        bigger.n = s->n;
        free(s->slots);
        *s = bigger;
    }
    size_t i = slot_of(s, st->st_dev, st->st_ino);
    if (s->slots[i].used) return 0;
    s->slots[i].dev = st->st_dev;
    s->slots[i].ino = st->st_ino;
    s->slots[i].used = 1;
    s->n++;
    return 1;
}

static int out_of_memory(void) {
    complain("out of memory");
    return -1;
}

struct walk {
    struct seen seen;
    struct image_list *out;
    int verbose;
};

static int add_file(struct walk *w, const char *path) {
    int width = 0, height = 0;
    char err[512];
    if (qwen3vl_image_size(path, &width, &height, err, sizeof err) != QWEN3VL_OK) {
        w->out->not_images++;
        if (w->verbose) complain("skipped %s", err);
        return 0;
    }
    struct image_list *l = w->out;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct image *bigger = realloc(l->items, cap * sizeof *bigger);
        if (!bigger) return out_of_memory();
        l->items = bigger;
        l->cap = cap;
    }
    char *copy = strdup(path);
    if (!copy) return out_of_memory();
    l->items[l->n++] = (struct image){copy, width, height, 0};
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int visit(struct walk *w, const char *path, int from_argument);

static int walk_dir(struct walk *w, const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        complain("%s: %s (skipped)", path, strerror(errno));
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == cap) {
            char **bigger = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            if (!bigger) { rc = out_of_memory(); break; }
            names = bigger;
        }
        if (!(names[n] = strdup(e->d_name))) rc = out_of_memory(); else n++;
    }
    closedir(d);
    if (rc == 0) qsort(names, n, sizeof *names, by_name);
    size_t base = strlen(path);
    while (base > 1 && path[base - 1] == '/') base--;  /* "photos/" gives "photos/a.jpg" */
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        char *child = rc == 0 ? malloc(base + len + 2) : NULL;
        if (child) {
            memcpy(child, path, base);
            child[base] = '/';
            memcpy(child + base + 1, names[i], len + 1);
            rc = visit(w, child, 0);
            free(child);
        } else if (rc == 0) {
            rc = out_of_memory();
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int visit(struct walk *w, const char *path, int from_argument) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (from_argument) {
            complain("%s: %s", path, strerror(errno));
            return -1;
        }
        if (w->verbose) complain("skipped %s: %s", path, strerror(errno));  /* e.g. a dangling link */
        return 0;
    }
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
        w->out->not_images += S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode);
        return 0;  /* never open a FIFO or a device: a read could wait for ever */
    }
    int fresh = first_visit(&w->seen, &st);
    if (fresh <= 0) return fresh < 0 ? out_of_memory() : 0;
    return S_ISDIR(st.st_mode) ? walk_dir(w, path) : add_file(w, path);
}

int discover(char *const *paths, size_t n, int verbose, struct image_list *out) {
    struct walk w = {{NULL, 0, 0}, out, verbose};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) rc = visit(&w, paths[i], 1);
    free(w.seen.slots);
    return rc;
}

void image_list_free(struct image_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->items[i].path);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}
