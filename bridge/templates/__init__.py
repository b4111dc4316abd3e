"""Named templates: texts with placeholders, kept in files or in the settings, chosen by a
``[template NAME]`` subject tag or a ``/canned NAME`` line, filled per recipient."""
