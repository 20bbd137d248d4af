/* azflow: command-line tool over the flow-log decoder.  main only
 * dispatches; each subcommand lives in its own cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"decode", cmd_decode, "decode [--strict] PATH...   one azure_flow JSON line per tuple"},
    {"follow", cmd_follow, "follow [--bookmarks FILE] DIR   keep reading growing blobs"},
    {"corpus", cmd_corpus, "corpus OUTDIR   regenerate the synthetic test corpus"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: azflow COMMAND [ARGS]\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  azflow %s\n", commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "azflow: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
