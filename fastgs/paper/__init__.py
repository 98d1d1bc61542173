"""Reproduction of the paper's experiments (Li, Nguyen, Hegde, Wong, ICLR 2023).

This subpackage is not needed to fit models: it holds what ``fastgs reproduce``
runs.

:mod:`fastgs.paper.settings`
    the simulated designs of Section 5 and the SNR appendix (``paper_setting``);
:mod:`fastgs.paper.experiments`
    the experiments as independent runs plus an aggregation (``reproduce``);
:mod:`fastgs.paper.figures`
    their figures (``plot_experiment``, needs matplotlib).
"""
