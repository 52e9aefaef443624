"""The command line: one Typer app, one module per command, one error funnel."""
