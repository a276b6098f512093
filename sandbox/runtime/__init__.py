"""Isolated execution of algorithm models: compile, isolate, run against a trusted broker.

The runtime imports nothing else of ``sandbox`` (the jobs, the engine and the API sit above
it). Its modules, by what runs where:

Inside the sandbox (the untrusted process; stdlib and RestrictedPython only):

* :mod:`sandbox.runtime.worker`: compiles and runs the model, its ``ctx`` a proxy that only
  sends messages (DP handles, the raw-access helpers, the log);
* :mod:`sandbox.runtime.channel`: the one narrow channel (length-prefixed strict JSON) and its
  vocabulary (``Op``, ``DPCall``, ``HelperCall``, ``ErrorKind``, ``DPRequest``), shared by
  both sides;
* :mod:`sandbox.runtime.compiler`: RestrictedPython compilation of a model, contract checks and
  the guarded globals it runs with (defence in depth, not the wall; the trusted side compiles
  too, to refuse a model before it is stored).

On the trusted side:

* :mod:`sandbox.runtime.executor`: runs a model in a backend, answers its DP calls through a
  broker and its helpers, and returns a ``ModelOutcome`` with its ``RunStatus``;
* :mod:`sandbox.runtime.backends`: the OS sandboxes (``docker``, ``bwrap``, the
  development-only ``subprocess``), their shared limits and process runner, the seccomp filter,
  and the registry that picks the strongest available;
* :mod:`sandbox.runtime.manifest`: what goes into the runtime's root filesystem and the content
  hash that tags it; :mod:`sandbox.runtime.rootfs`: staging that root from the host's own
  files (bound by ``bwrap``); :mod:`sandbox.runtime.image`: the ``docker`` backend's image built
  from it (``python -m sandbox.runtime.image``);
* :mod:`sandbox.runtime.model_info` (a model's description and ``PARAMS``, read with ``ast``,
  never run), :mod:`sandbox.runtime.param_spec` (the schema's parameter types) and
  :mod:`sandbox.runtime.params` (a job's parameters validated against it);
* :mod:`sandbox.runtime.vetted`: the vetted models of ``algorithms/``, read as text and checked
  at start-up (not to be confused with :mod:`sandbox.catalog`, the datasets).

This ``__init__`` stays import-light: the worker imports the package inside the sandbox.
"""
