"""One module per subcommand; each registers itself on :data:`gtcbrief.cli.app`."""
