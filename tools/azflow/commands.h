/* commands: the subcommands of the azflow tool, each `int cmd_x(argc, argv)`
 * with argv[0] the subcommand name; returns the process exit status. */
#ifndef AZF_COMMANDS_H
#define AZF_COMMANDS_H

int cmd_decode(int argc, char **argv);
int cmd_follow(int argc, char **argv);
int cmd_corpus(int argc, char **argv);

#endif /* AZF_COMMANDS_H */
