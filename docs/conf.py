"""Sphinx configuration of the fastgs documentation.

Build (offline, warnings are errors)::

    python -m sphinx -W -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the gallery draws without a display

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # gallery_argv

import fastgs  # noqa: E402

project = "fastgs"
author = "fastgs developers"
copyright = "fastgs developers"
release = fastgs.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "sg_execution_times.rst"]
templates_path = ["_templates"]
root_doc = "index"
nitpicky = False

# API reference: stub pages generated from the docstrings (numpydoc form)
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # these examples run at build time, on small data; the other real-data
    # examples need statsmodels and a minute each: they are shown, with the
    # results recorded in bench/results/real_data.md
    "filename_pattern": r"(plot_path|kernels_in_njit|diabetes_splines|plot_classifier)\.py$",
    # the real-data examples' shared runner is a module, not an example
    "ignore_pattern": r"(__init__|_compare)\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    # the examples take command-line options; the gallery runs the quick ones
    "reset_argv": "gallery_argv.reset_argv",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"fastgs {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_show_sourcelink = False
