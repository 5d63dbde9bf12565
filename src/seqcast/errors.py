"""The one exception type users see: a problem with their input, stated in one line."""


class SeqcastError(Exception):
    """Bad input or an impossible request. The CLI prints the message alone and exits 1."""
