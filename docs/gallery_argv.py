"""Command-line arguments the documentation build gives each gallery example."""

# the examples' quick modes: small data, so the whole gallery runs in CI
QUICK = {"diabetes_splines.py": ["--splits", "2"], "plot_classifier.py": ["--splits", "4"]}


def reset_argv(gallery_conf, script_vars):
    """``sys.argv[1:]`` for one example (sphinx-gallery's ``reset_argv`` hook)."""
    for name, args in QUICK.items():
        if str(script_vars["src_file"]).endswith(name):
            return list(args)
    return []
