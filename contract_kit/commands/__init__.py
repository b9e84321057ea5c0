"""One module per `contract-kit` subcommand; each parses options and calls the library."""
