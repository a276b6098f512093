"""Isolated execution of algorithm models (issue #4 builds this package).

* :mod:`sandbox.runtime.compiler`: RestrictedPython compilation of a model, contract checks and
  the guarded globals it runs with (defence in depth, not the wall);
* :mod:`sandbox.runtime.channel`: the one narrow channel (length-prefixed strict JSON);
* :mod:`sandbox.runtime.worker`: the code that runs inside the sandbox;
* :mod:`sandbox.runtime.backends`: the OS sandboxes (``bwrap``, development-only
  ``subprocess``) and the registry that picks the strongest available;
* :mod:`sandbox.runtime.executor`: runs a model in a backend against a trusted DP broker.

This ``__init__`` stays import-light: the worker imports the package inside the sandbox.
"""
