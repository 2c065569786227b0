/**
 * The {@code graft} command ({@link dev.graft.models.cli.GraftCommand}): one executable with a sub-command per
 * task. Exit codes: 0 on success, 2 for a usage error, 1 for a runtime error; errors are one line on stderr,
 * {@code graft <command>: reason}, with the stack trace only under {@code --verbose}. Notes and warnings about a
 * result ({@code note: …}, {@code warning: …}) go to stderr as well, so stdout carries only what a command reports
 * having done. {@code graft help COMMAND} prints a command's help.
 */
package dev.graft.models.cli;
