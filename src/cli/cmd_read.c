/* cmd_read.c - placeholder until the subcommand lands (being written now). */
#include "cli/cli.h"

int cmd_read(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("read: not built yet");
    return VIGIL_EXIT_ERROR;
}
