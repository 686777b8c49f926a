/* The qwen3vl command: picks the command, answers --help and --version. */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "Usage: qwen3vl COMMAND [OPTIONS]\n"
    "\n"
    "Asks Qwen3-VL (or any OpenAI-compatible server) about images, through libqwen3vl.\n"
    "\n"
    "Commands:\n"
    "  chat    one question about zero or more images; the answer streams to stdout\n"
    "  batch   the same prompt for every image under some paths, into a resumable JSONL file\n"
    "\n"
    "  qwen3vl COMMAND --help   the options of a command\n"
    "  qwen3vl --version        the versions of the command and of the library\n"
    "\n"
    "Environment: AIML_API_KEY (the key), AIML_API_BASE (the server's base URL; --base-url overrides).\n"
    "Exit status: 0 all done, 1 something failed, 2 a usage error, 130 interrupted (Ctrl-C).\n"
    "See man qwen3vl.\n";

void complain(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("qwen3vl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int main(int argc, char **argv) {
    const char *cmd = argc > 1 ? argv[1] : NULL;
    if (!cmd) {
        fputs(usage, stderr);
        return CLI_USAGE;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "help") == 0) {  /* "qwen3vl help batch" as "qwen3vl batch --help" */
        const char *topic = argc > 2 ? argv[2] : "";
        fputs(strcmp(topic, "chat") == 0 ? chat_usage : strcmp(topic, "batch") == 0 ? batch_usage : usage, stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("qwen3vl %s (libqwen3vl %s)\n", QWEN3VL_VERSION_STRING, qwen3vl_version());
        return CLI_OK;
    }
    if (strcmp(cmd, "chat") == 0) return chat_main(argc - 1, argv + 1);
    if (strcmp(cmd, "batch") == 0) return batch_main(argc - 1, argv + 1);
    complain("no command \"%s\" (chat or batch; see qwen3vl --help)", cmd);
    return CLI_USAGE;
}
