"""The campaign commands (inventory, request, withdraw, rebind), registered on the CLI in one place
so that lib/ops/cli.py carries a single line for them. Each command's work (and the SDKs under it) loads
only when that command runs; the modules named here are light (no SDK) and load with the parser."""

import importlib

# name -> module under lib/ops whose command(name) gives (help, description, add_arguments, main)
COMMANDS = {"inventory": "inventory_cmd", "request": "request_cmd", "withdraw": "request_cmd",
            "rebind": "rebind_cmd"}


def register(command) -> None:
    for name, module in COMMANDS.items():
        help_, description, add_arguments, main = importlib.import_module(f"{__package__}.{module}").command(name)
        add_arguments(command(name, main, help_, description))
