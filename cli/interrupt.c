/* Ctrl-C for an event loop. The library's functions are not async-signal-safe, so the handler only
 * writes the signal's number into a pipe; the loop, which polls that pipe beside the client's event
 * descriptor, does the cancelling. A second signal means "now": the handler exits at once. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int pipe_fds[2] = {-1, -1};
static volatile sig_atomic_t signals_seen;
static int stderr_is_tty;  /* the handler ends a progress bar's line there */

static void on_signal(int sig) {
    int saved = errno;
    if (signals_seen++ > 0) {
        /* Lines already in the results file are whole (each is one write), so nothing is lost
           that a run started again would not redo. Only a terminal gets the newline: a pipe
           nobody reads could block the write, and this exit must not wait. */
        if (stderr_is_tty) (void)!write(STDERR_FILENO, "\n", 1);
        _exit(128 + sig);
    }
    unsigned char byte = (unsigned char)sig;
    (void)!write(pipe_fds[1], &byte, 1);
    errno = saved;
}

int interrupt_install(void) {
    stderr_is_tty = isatty(STDERR_FILENO);
    if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        complain("pipe: %s", strerror(errno));
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        complain("sigaction: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int interrupt_wait(int event_fd, int timeout_ms, int *events) {
    struct pollfd p[2] = {{event_fd, POLLIN, 0}, {pipe_fds[0], POLLIN, 0}};
    *events = 0;
    if (poll(p, 2, timeout_ms) <= 0) return 0;  /* a timeout, or EINTR: the caller looks again */
    *events = (p[0].revents & POLLIN) != 0;
    int sig = 0;
    unsigned char byte;
    while (read(pipe_fds[0], &byte, 1) == 1) sig = byte;
    return sig;
}
