/* The process id, read once and then after each fork() in the child: the library asks "am I still
 * the process that made this?" several times per call, and getpid() is a system call each time. */
#include "qwen3vl_shims.h"

#include <pthread.h>
#include <unistd.h>

static pid_t cached_pid;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void refresh_pid(void) { __atomic_store_n(&cached_pid, getpid(), __ATOMIC_RELAXED); }

/* glibc runs a library's fork handlers in every child made by fork(), and forgets them at dlclose. */
static void start_caching(void) {
    refresh_pid();
    pthread_atfork(NULL, NULL, refresh_pid);
}

int q3v_getpid(void) {
    pthread_once(&pid_once, start_caching);
    return __atomic_load_n(&cached_pid, __ATOMIC_RELAXED);
}
