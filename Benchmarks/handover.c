/* What one hand-over between two threads costs on this machine, with no work on either side: a
 * round trip through two eventfds, each thread blocking in poll() as libqwen3vl's host thread and
 * I/O thread do (a call started on one, its DONE event back to it). Measured with both threads
 * pinned to one CPU and to two (where the other CPU may sleep and must be woken): at N = 1 a
 * non-blocking call makes this round trip once more than a single-threaded floor.
 *   handover ROUNDS      prints one JSON line: the median round trip of 5 batches each way, in µs */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "measure.h"

static int there, back, rounds, peer_cpu;

static void pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void wait_read(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    uint64_t v;
    while (poll(&p, 1, -1) != 1 || read(fd, &v, sizeof v) != sizeof v) {}
}

static void *peer(void *arg) {
    (void)arg;
    pin(peer_cpu);
    uint64_t one = 1;
    for (int i = 0; i < 5 * rounds; i++) {
        wait_read(there);
        if (write(back, &one, sizeof one) != sizeof one) abort();
    }
    return NULL;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

/* The median of 5 batches of ROUNDS round trips, the peer thread on cpu 0 or 1. */
static double round_trip_us(int cpu) {
    peer_cpu = cpu;
    pthread_t t;
    if (pthread_create(&t, NULL, peer, NULL)) abort();
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
    return us[2];
}

int main(int argc, char **argv) {
    rounds = argc > 1 ? atoi(argv[1]) : 5000;
    there = eventfd(0, EFD_NONBLOCK);
    back = eventfd(0, EFD_NONBLOCK);
    if (rounds < 1 || there < 0 || back < 0) return 1;
    pin(0);
    double same = round_trip_us(0);
    double cross = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? round_trip_us(1) : same;
    printf("{\"contender\":\"machine\",\"case\":\"handover\",\"same_cpu_us\":%.1f,\"two_cpus_us\":%.1f}\n", same, cross);
    return 0;
}
