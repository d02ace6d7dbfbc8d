"""What leaves the process besides rendered text: atomic files, history, metrics,
redaction and ticket attachments."""
