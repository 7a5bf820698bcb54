"""The composition root: settings from the environment, the `courtyard` command, start-up and wiring."""
