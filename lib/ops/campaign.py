"""The campaign commands (inventory, request, withdraw, rebind), registered on the CLI in one place
so that lib/ops/cli.py carries a single line for them. Each command's work (and the SDKs under it) loads
only when that command runs; the argument modules are light (no SDK) and load with the parser."""

import importlib

# name -> module under lib/ops holding HELP, DESCRIPTION, add_arguments(parser) and main(args)
COMMANDS = {"inventory": "inventory_cmd"}


def _runner(module: str):
    def run(args) -> int:
        return importlib.import_module(f"{__package__}.{module}").main(args)

    return run


def register(command) -> None:
    for name, module in COMMANDS.items():
        mod = importlib.import_module(f"{__package__}.{module}")
        mod.add_arguments(command(name, _runner(module), mod.HELP, mod.DESCRIPTION))
