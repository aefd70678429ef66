"""Many accounts: the listed member roles, a sweep over them, and the fan-out over SCF."""
