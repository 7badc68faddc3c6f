/* cmd_stats.c - placeholder until the subcommand lands (being written now). */
#include "cli/cli.h"

int cmd_stats(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("stats: not built yet");
    return VIGIL_EXIT_ERROR;
}
