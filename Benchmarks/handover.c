/* What one hand-over between two threads costs on this machine, with no work on either side: a
 * round trip through two eventfds, each thread blocking in poll() as libqwen3vl's host thread and
 * I/O thread do (a call started on one, its DONE event back to it). At N = 1 a non-blocking call
 * makes this round trip once more than a single-threaded floor, so it bounds the ratio there.
 *   handover ROUNDS      prints one JSON line: the median round trip of 5 batches, in µs */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "measure.h"

static int there, back, rounds;

static void wait_read(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    uint64_t v;
    while (poll(&p, 1, -1) != 1 || read(fd, &v, sizeof v) != sizeof v) {}
}

static void *peer(void *arg) {
    (void)arg;
    uint64_t one = 1;
    for (int i = 0; i < 5 * rounds; i++) {
        wait_read(there);
        if (write(back, &one, sizeof one) != sizeof one) abort();
    }
    return NULL;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    rounds = argc > 1 ? atoi(argv[1]) : 5000;
    there = eventfd(0, EFD_NONBLOCK);
    back = eventfd(0, EFD_NONBLOCK);
    pthread_t t;
    if (rounds < 1 || there < 0 || back < 0 || pthread_create(&t, NULL, peer, NULL)) return 1;
    double us[5];
    uint64_t one = 1;
    for (int b = 0; b < 5; b++) {
        double t0 = now_ms();
        for (int i = 0; i < rounds; i++) {
            if (write(there, &one, sizeof one) != sizeof one) abort();
            wait_read(back);
        }
        us[b] = (now_ms() - t0) * 1e3 / rounds;
    }
    pthread_join(t, NULL);
    qsort(us, 5, sizeof us[0], cmp);
    printf("{\"contender\":\"machine\",\"case\":\"handover\",\"round_trip_us\":%.1f}\n", us[2]);
    return 0;
}
