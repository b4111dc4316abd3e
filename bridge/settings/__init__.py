"""Settings: one validated object, loaded once from TOML with environment overrides.

``load.load_settings`` reads a file into ``root.Settings``; each section is a module of its
own (``core``, ``smtp``, ``text``, ``numbers``, ``routes``, ``inbound``, ``mail``,
``providers``), built on ``section.Section``: immutable, unknown keys refused, secrets from
the environment or a ``*_file``, paths relative to the settings file. Components receive
only their own section.

Nothing is imported here, so that provider packages can build their settings on
``section`` while the registry of providers gives ``root`` their schemas.
"""
