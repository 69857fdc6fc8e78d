"""The `oke` command: thin front doors (CLI, HTTP) onto oke_core, oke_sim and assets."""
