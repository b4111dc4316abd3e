"""The address book's files: one module per format (``csv_format``, ``vcard``), each with a
``read`` that returns the contacts it could read and, for every row it could not, the line
and the reason, and a ``write``; ``transfer`` picks the format and saves what was read."""
