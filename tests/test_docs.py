"""The public API's docstrings: numpydoc form, and their Examples run.

Every public function and class listed in ``DOCUMENTED`` must have a numpydoc
docstring that documents each parameter of its signature (and nothing
else), says what it returns, and carries an Examples section; the examples
are run with doctest.  The result classes must document every attribute an
instance actually has.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import re
from pathlib import Path

import pytest

from fastgs import kernels

numpydoc_docscrape = pytest.importorskip("numpydoc.docscrape", reason="the test extra installs numpydoc")

ROOT = Path(__file__).resolve().parents[1]

#: (module, names): the public API whose docstrings are held to full numpydoc form
DOCUMENTED = {
    "fastgs.path": ["dglnn_path", "dglnn_cv_path", "dlnn_path"],
    "fastgs.groups": ["make_groups", "Groups"],
    "fastgs.results": ["DGLNNPath", "DGLNNCVPath", "DLNNPath", "Status"],
    "fastgs.datasets": ["make_group_sparse_regression", "make_group_sparse_classification",
                        "make_group_sparse_poisson"],
    "fastgs.paper.settings": ["paper_setting"],
    "fastgs.estimators": ["DGLNNRegressor", "DGLNNRegressorCV", "DLNNRegressor", "DGLNNClassifier",
                          "DGLNNClassifierCV"],
    "fastgs.selection": ["select_groups"],
    # every public kernel callable from Python (the storage-generic two are compiled-only)
    "fastgs.kernels": [name for name in kernels.__all__
                       if not name.startswith("STATUS_") and name not in ("residual_gradient", "residual",
                                                                          "residual_gradient_loss", "residual_loss")],
}
ITEMS = [(module, name) for module, names in DOCUMENTED.items() for name in names]


def _object(module, name):
    return getattr(importlib.import_module(module), name)


def _python_function(obj):
    """The Python function behind a Numba dispatcher (its signature and doc)."""
    return getattr(obj, "py_func", obj)


def _signature_parameters(obj):
    # a class: its constructor's parameters (a named tuple's are its __new__'s)
    func = obj if inspect.isclass(obj) else _python_function(obj)
    names = [p.name for p in inspect.signature(func).parameters.values()
             if p.name not in ("self", "kw") and not p.name.startswith("_")]  # fmt: skip
    return names


def _documented_names(section):
    names = []
    for param in section:
        names.extend(n.strip().lstrip("*") for n in param.name.split(","))
    return names


@pytest.mark.parametrize("module, name", ITEMS, ids=[f"{m}.{n}" for m, n in ITEMS])
def test_docstring_is_full_numpydoc(module, name):
    obj = _object(module, name)
    doc = numpydoc_docscrape.FunctionDoc(_python_function(obj)) if not inspect.isclass(obj) \
        else numpydoc_docscrape.ClassDoc(obj)  # fmt: skip
    assert doc["Summary"], f"{name}: no summary line"
    assert doc["Examples"], f"{name}: no Examples section"
    if inspect.isclass(obj) and name in DOCUMENTED["fastgs.results"]:
        return  # constructed internally: documented by their attributes (below)
    params = _signature_parameters(obj)
    documented = _documented_names(doc["Parameters"])
    assert documented == params, f"{name}: documents {documented}, signature has {params}"
    for param in doc["Parameters"]:
        assert param.type, f"{name}: parameter {param.name} has no type"
        assert param.desc, f"{name}: parameter {param.name} has no description"
    if not inspect.isclass(obj):
        assert doc["Returns"] or "in place" in " ".join(doc["Summary"] + doc["Extended Summary"]), (
            f"{name}: no Returns section (and it does not write in place)"
        )


def _defaults(obj):
    func = obj.__init__ if inspect.isclass(obj) else _python_function(obj)
    return {p.name: p.default for p in inspect.signature(func).parameters.values()
            if p.default is not inspect.Parameter.empty and not p.name.startswith("_")}  # fmt: skip


@pytest.mark.parametrize("module, name", ITEMS, ids=[f"{m}.{n}" for m, n in ITEMS])
def test_parameter_defaults_are_stated(module, name):
    obj = _object(module, name)
    if inspect.isclass(obj) and name in DOCUMENTED["fastgs.results"]:
        return
    doc = numpydoc_docscrape.FunctionDoc(_python_function(obj)) if not inspect.isclass(obj) \
        else numpydoc_docscrape.ClassDoc(obj)  # fmt: skip
    described = {n: p for p in doc["Parameters"] for n in _documented_names([p])}
    for param, default in _defaults(obj).items():
        text = described[param].type + " " + " ".join(described[param].desc)
        assert "default" in text, f"{name}: parameter {param} (default {default!r}) does not state its default"


def _docstring_examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    for module, name in ITEMS:
        obj = _object(module, name)
        target = _python_function(obj)
        # the examples see their module's namespace, as in an interactive session after
        # `from module import *`
        namespace = dict(vars(importlib.import_module(module)))
        for test in finder.find(target, f"{module}.{name}", globs=namespace):
            if test.examples:
                yield pytest.param(test, id=test.name)


@pytest.mark.parametrize("test", list(_docstring_examples()))
def test_docstring_examples_run(test):
    failures = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=failures.append)
    assert result.failed == 0, "".join(failures)


def _attributes_section(cls):
    return _documented_names(numpydoc_docscrape.ClassDoc(cls)["Attributes"])


def test_result_classes_document_every_attribute():
    import fastgs
    from fastgs.datasets import make_group_sparse_regression

    X, y, _, groups = make_group_sparse_regression(40, 12, group_size=3, random_state=0)
    results = [
        fastgs.dglnn_path(X[:30], y[:30], groups, X_val=X[30:], y_val=y[30:], max_iter=5),
        fastgs.dlnn_path(X, y, max_iter=5),
        fastgs.dglnn_cv_path(X, y, groups, cv=3, random_state=0, max_iter=5),
    ]
    for result in results:
        documented = set(_attributes_section(type(result)))
        actual = set(vars(result))
        assert actual <= documented, f"{type(result).__name__}: undocumented {sorted(actual - documented)}"
    status = results[0].status
    assert set(vars(status)) <= set(_attributes_section(type(status)))


def test_method_sections_cited_in_the_code_exist():
    """Every citation of a section of docs/method.rst (in code, tests, docs) names one that exists."""
    text = (ROOT / "docs" / "method.rst").read_text()
    titles = {m.group(1) for m in re.finditer(r"^(.+)\n[=\-]{3,}$", text, re.MULTILINE)}
    cited = set()
    for path in [*ROOT.glob("fastgs/**/*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("bench/**/*.py"),
                 *ROOT.glob("docs/**/*.rst"), ROOT / "README.md"]:  # fmt: skip
        source = path.read_text()
        cited |= set(re.findall(r"docs/method\.rst,\s+'([^']+)'", source))
        cited |= set(re.findall(r":doc:`[./]*method`,\s+'([^']+)'", source))
    cited = {" ".join(title.split()) for title in cited}  # titles wrapped over lines
    assert cited, "no citations found: the pattern is stale"
    assert cited <= titles, f"cited sections missing from docs/method.rst: {sorted(cited - titles)}"
