// A reason the command itself failed that is about the user's input or environment (a baseline
// file that is not one, an unknown git ref): the CLI prints it as one line and exits 2.
// Errors about a tsconfig.json are the analysis's ConfigError, which names the file and position.
export class CommandError extends Error {}
