"""User-facing errors: one line that names the file, field or value at fault."""


class EdgeError(Exception):
    """A problem the user can fix (bad input, missing asset). The CLI prints it and exits 2."""

    exit_code = 2
