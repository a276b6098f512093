"""Helpers the test modules share, so that each exists once: HTTP assertions (:mod:`.http`),
the live server and its accounts (:mod:`.server`), the world of datasets, eligible users and
grants an API test starts from (:mod:`.world`), data files (:mod:`.datafiles`), store and
policy factories (:mod:`.factories`), the jobs' fake runtime and synchronous dispatcher
(:mod:`.jobs`), the real components a test may need (:mod:`.docker_engine`,
:mod:`.ray_cluster`), the markers that say so (:mod:`.markers`) and test ids that are the
same in every xdist worker (:mod:`.params`).
"""
