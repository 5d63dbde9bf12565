"""The one exception type users see: a problem with their input, stated in one line."""


class SeqcastError(Exception):
    """Bad input or an impossible request. The CLI prints the message alone and exits 1."""


class Interrupted(KeyboardInterrupt):
    """Work stopped by Ctrl-C or SIGTERM; ``message`` says what was kept and how to go on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
