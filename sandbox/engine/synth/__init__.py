"""DP synthetic data: MST (McKenna, Miklau & Sheldon 2021) on the DP handle's rows.

- :mod:`~sandbox.engine.synth.domain`: the public discrete domain of the chosen columns;
- :mod:`~sandbox.engine.synth.counts`: their exact joint counts, in one trusted scan;
- :mod:`~sandbox.engine.synth.measure`: MST's OpenDP measurements (noisy 1-way marginals,
  the exponential mechanism choosing a spanning tree, noisy 2-way marginals on its edges);
- :mod:`~sandbox.engine.synth.estimate`: graphical-model estimation with ``mbi``;
- :mod:`~sandbox.engine.synth.generate`: the synthetic rows;
- :mod:`~sandbox.engine.synth.utility`: the fit to the noisy marginals (never the data);
- :mod:`~sandbox.engine.synth.mst`: the steps after the charge, end to end;
- :mod:`~sandbox.engine.synth.release`: ``handle.synthesize``, planned and charged first;
- :mod:`~sandbox.engine.synth.preview`: a provider's DP synthetic preview of a dataset.
"""
