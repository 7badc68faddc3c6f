/* cmd_estimate.c - placeholder until the subcommand lands (being written now). */
#include "cli/cli.h"

int cmd_estimate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("estimate: not built yet");
    return VIGIL_EXIT_ERROR;
}
