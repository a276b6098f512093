"""Algorithm-model jobs: submission, the lifecycle, the trusted broker, running on Ray.

- :mod:`~sandbox.jobs.model`: states, transitions, the :class:`Job` view;
- :mod:`~sandbox.jobs.lifecycle`: the one way a state changes (persisted, audited);
- :mod:`~sandbox.jobs.submission`: every check made before a job is stored;
- :mod:`~sandbox.jobs.broker`: answers a DP job's calls through the query engine;
- :mod:`~sandbox.jobs.runner`: runs one job in its sandbox (inside a Ray task);
- :mod:`~sandbox.jobs.dispatcher`: hands queued jobs to Ray, watches them, recovers at start;
- :mod:`~sandbox.jobs.service`: what the API, client and CLI call;
- :mod:`~sandbox.jobs.dry_run`: a model tried on mock tables on the server, nothing charged
  (:mod:`~sandbox.jobs.mock_data`, :mod:`~sandbox.jobs.mock_run`), and
  :mod:`~sandbox.jobs.local_run` the same on a researcher's machine.
"""
