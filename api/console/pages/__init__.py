"""The console's pages, one module per area; each has a ``router`` that
:func:`api.console.install_console` includes.
"""
