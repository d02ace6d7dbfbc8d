"""The rules: plain functions of data that turn what was seen into findings."""
