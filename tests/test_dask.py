"""fastgs.dask: fits on row-blocked dask arrays equal the in-memory fits; many fits on Dask.

One ``distributed.LocalCluster`` (2 worker processes, loopback only) serves
the whole module.  Sums over blocks run in a different order than the
in-memory sweep, so results agree to ~1e-12, not bit for bit.
"""

from __future__ import annotations

import os
import signal
import time
import warnings

import dask.array as da
import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from distributed import Client, LocalCluster
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

import fastgs
import fastgs.dask as fdask

GROUP = 3
RTOL = 1e-10
N, P, N_VAL = 160, 36, 60
ROWS, VAL_ROWS = 20, 15  # 8 training blocks, 4 validation blocks
ALPHA = 1e-3
GD_ALPHA = 0.2  # plain GD needs a larger start (docs/method.rst, 'Plain gradient descent')


@pytest.fixture(scope="module")
def client():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, Client(cluster) as c:  # fmt: skip
        yield c


def make_data(seed=0, sparse=False):
    """Shifted Gaussian (or 30%-dense CSR) X, two active groups, noise, an intercept."""
    rng = np.random.default_rng(seed)
    w = np.zeros(P)
    w[:GROUP] = 1.0
    w[2 * GROUP : 3 * GROUP] = -0.7
    if sparse:
        X = sp.random(N + N_VAL, P, density=0.3, format="csr", random_state=seed,
                      data_rvs=rng.standard_normal)  # fmt: skip
    else:
        X = rng.standard_normal((N + N_VAL, P)) + rng.uniform(-0.3, 0.3, P)
    y = np.asarray(X @ w).ravel() + 1.5 + 1.5 * rng.standard_normal(N + N_VAL)
    return X[:N], y[:N], X[N:], y[N:]


def to_dask(X, y, rows):
    asarray = not sp.issparse(X)
    Xd = da.from_array(X, chunks=(rows, X.shape[1]), asarray=asarray)
    return Xd, da.from_array(y, chunks=(rows,))


def assert_same_path(got, ref):
    scale = np.abs(ref.coefs).max()
    assert_allclose(got.coefs, ref.coefs, rtol=RTOL, atol=RTOL * scale)
    assert_allclose(got.u, ref.u, rtol=RTOL, atol=RTOL * ref.u.max())
    assert_allclose(got.train_curve, ref.train_curve, rtol=RTOL)
    assert_allclose(got.intercepts, ref.intercepts, rtol=RTOL, atol=RTOL)
    assert_allclose(got.iterations, ref.iterations)
    assert got.best_iter == ref.best_iter
    assert got.switch_iter == ref.switch_iter
    assert got.t0 == ref.t0 and got.n_passes == ref.n_passes
    assert (got.status.code, got.status.iteration, got.status.last_good) == (
        ref.status.code, ref.status.iteration, ref.status.last_good)
    assert got.step_u == pytest.approx(ref.step_u, rel=RTOL)
    if ref.val_curve is not None:
        assert_allclose(got.val_curve, ref.val_curve, rtol=RTOL)
        assert_allclose(got.best_coef, ref.best_coef, rtol=RTOL, atol=RTOL * scale)
        assert got.best_intercept == pytest.approx(ref.best_intercept, rel=RTOL, abs=RTOL)


# Algorithm 1 with the fast schedule and no intercept becomes unstable after
# ~200 iterations on this data (the late divergence of docs/method.rst, 'The switch rule'): a
# 1e-16 difference in the order of the sums grows to 1e-3 by iteration 300.
# 150 iterations cover the validation minimum (iteration ~50-110) and stay
# well before that.
CASES = [
    {"algorithm": "alg1", "schedule": "paper", "max_iter": 150},
    {"algorithm": "alg2", "schedule": "paper", "max_iter": 150},
    {"algorithm": "alg2", "schedule": "paper", "switch": "paper", "max_iter": 150},
    {"algorithm": "gd", "schedule": "paper", "alpha": GD_ALPHA, "max_iter": 150},
    {"algorithm": "alg1", "schedule": "fast", "max_iter": 150},
    {"algorithm": "alg2", "schedule": "fast", "max_iter": 150},
    {"algorithm": "alg2", "schedule": "fast", "update": "sequential", "max_iter": 60},
]


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_equals_in_memory_dense(client, case, fit_intercept):
    X, y, Xv, yv = make_data()
    Xd, yd = to_dask(X, y, ROWS)
    Xvd, yvd = to_dask(Xv, yv, VAL_ROWS)
    kw = {"alpha": ALPHA, "fit_intercept": fit_intercept, "record_every": 7} | case
    ref = fastgs.dglnn_path(X, y, GROUP, X_val=Xv, y_val=yv, **kw)
    got = fdask.dglnn_path(Xd, yd, GROUP, client=client, X_val=Xvd, y_val=yvd, **kw)
    assert ref.best_iter is not None and 0 < ref.best_iter
    assert_same_path(got, ref)


@pytest.mark.parametrize("schedule", ["paper", "fast"])
def test_equals_in_memory_csr_blocks(client, schedule):
    X, y, Xv, yv = make_data(seed=3, sparse=True)
    Xd, yd = to_dask(X, y, 40)
    Xvd, yvd = to_dask(Xv, yv, 30)
    assert sp.issparse(Xd._meta) and Xd._meta.format == "csr"
    kw = {"alpha": ALPHA, "fit_intercept": True, "schedule": schedule, "max_iter": 150}
    ref = fastgs.dglnn_path(X, y, GROUP, X_val=Xv, y_val=yv, **kw)
    got = fdask.dglnn_path(Xd, yd, GROUP, client=client, X_val=Xvd, y_val=yvd, **kw)
    assert_same_path(got, ref)


def test_in_memory_y_and_validation_set_and_unequal_blocks(client):
    """y and the validation set may be in memory; blocks may differ in size."""
    X, y, Xv, yv = make_data(seed=5)
    Xd = da.from_array(X, chunks=((50, 7, 33, 40, 30), (P,)))
    kw = {"alpha": ALPHA, "fit_intercept": True, "max_iter": 120}
    ref = fastgs.dglnn_path(X, y, GROUP, X_val=Xv, y_val=yv, **kw)
    got = fdask.dglnn_path(Xd, y, GROUP, client=client, X_val=Xv, y_val=yv, **kw)
    assert_same_path(got, ref)


def test_float32_blocks_give_float32(client):
    # against the float64 fit: float32 rounding, not the order of the sums,
    # limits the agreement (and it spares compiling the in-memory float32 solver)
    X, y, _, _ = make_data(seed=1)
    kw = {"alpha": ALPHA, "max_iter": 60, "schedule": "paper"}
    ref = fastgs.dglnn_path(X, y, GROUP, **kw)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    got = fdask.dglnn_path(*to_dask(X32, y32, ROWS), GROUP, client=client, **kw)
    assert got.coefs.dtype == np.float32 and got.u.dtype == np.float32
    assert_allclose(got.coefs, ref.coefs, rtol=1e-3, atol=1e-4 * np.abs(ref.coefs).max())


def test_divergence_behaves_like_in_memory(client):
    X, y, _, _ = make_data(seed=2)
    kw = {"step_u": 50.0, "alpha": ALPHA, "max_iter": 100, "schedule": "paper"}
    with pytest.warns(fastgs.DivergenceWarning):
        ref = fastgs.dglnn_path(X, y, GROUP, **kw)
    with pytest.warns(fastgs.DivergenceWarning):
        got = fdask.dglnn_path(*to_dask(X, y, ROWS), GROUP, client=client, **kw)
    assert not ref.status.ok
    assert np.all(np.isfinite(got.coefs))
    assert_same_path(got, ref)


def test_bad_inputs_raise_before_work(client):
    X, y, Xv, yv = make_data()
    Xd, yd = to_dask(X, y, ROWS)
    with pytest.raises(TypeError, match="X must be a dask"):
        fdask.dglnn_path(X, y, GROUP, client=client)
    with pytest.raises(ValueError, match="rows only"):
        fdask.dglnn_path(Xd.rechunk((ROWS, 12)), yd, GROUP, client=client)
    with pytest.raises(ValueError, match="same row chunks"):
        fdask.dglnn_path(Xd, yd.rechunk(32), GROUP, client=client)
    with pytest.raises(ValueError, match="y has 150 entries"):
        fdask.dglnn_path(Xd, y[:150], GROUP, client=client)
    with pytest.raises(ValueError, match="X_val has 30 features"):
        fdask.dglnn_path(Xd, yd, GROUP, client=client, X_val=Xv[:, :30], y_val=yv)
    with pytest.raises(ValueError, match="given together"):
        fdask.dglnn_path(Xd, yd, GROUP, client=client, X_val=Xv)
    with pytest.raises(ValueError, match="algorithm"):
        fdask.dglnn_path(Xd, yd, GROUP, client=client, algorithm="alg3")
    with pytest.raises(TypeError, match="client"):
        fdask.dglnn_path(Xd, yd, GROUP, client=42)
    # blocks are checked where they live, before the first iteration
    csc = Xd.map_blocks(sp.csc_matrix, meta=sp.csr_matrix((0, 0)))
    with pytest.raises(TypeError, match="X block 0 .* CSR"):
        fdask.dglnn_path(csc, yd, GROUP, client=client)
    X_bad = X.copy()
    X_bad[45, 3] = np.nan
    with pytest.raises(ValueError, match="X block 2 contains 1 non-finite"):
        fdask.dglnn_path(da.from_array(X_bad, chunks=(ROWS, P)), yd, GROUP, client=client)
    # nothing stays behind on the workers after a refused input
    deadline = time.monotonic() + 10
    while any(client.has_what().values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(client.has_what().values())


def test_estimator_equals_in_memory_estimator(client):
    X, y, Xv, yv = make_data(seed=4)
    params = {"groups": GROUP, "alpha": ALPHA, "max_iter": 150, "random_state": 0}
    ref = fastgs.DGLNNRegressor(**params).fit(X, y)
    est = fdask.DGLNNRegressor(**params).fit(*to_dask(X, y, ROWS))
    assert est.best_iter_ == ref.best_iter_ and est.n_iter_ == ref.n_iter_
    assert_allclose(est.coef_, ref.coef_, rtol=RTOL, atol=RTOL * np.abs(ref.coef_).max())
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=RTOL)
    pred = est.predict(da.from_array(Xv, chunks=(VAL_ROWS, P)))
    assert isinstance(pred, da.Array)
    assert_allclose(pred.compute(), ref.predict(Xv), rtol=1e-9)
    # a given (dask) validation set, and in-memory data through the same class
    ref_val = fastgs.DGLNNRegressor(**params).fit(X, y, X_val=Xv, y_val=yv)
    est_val = fdask.DGLNNRegressor(**params).fit(
        *to_dask(X, y, ROWS), X_val=da.from_array(Xv, chunks=(VAL_ROWS, P)), y_val=yv)
    assert est_val.best_iter_ == ref_val.best_iter_
    assert_allclose(est_val.coef_, ref_val.coef_, rtol=RTOL, atol=RTOL)
    in_memory = fdask.DGLNNRegressor(**params).fit(X, y)
    assert_allclose(in_memory.coef_, ref.coef_, rtol=0, atol=0)
    assert clone(est).get_params()["client"] is None


def test_gridsearch_under_joblib_dask_backend(client):
    X, y, _, _ = make_data(seed=6)
    grid = {"alpha": [1e-4, 1e-2], "schedule": ["paper", "fast"]}
    base = fastgs.DGLNNRegressor(GROUP, max_iter=100, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    ref = GridSearchCV(base, grid, cv=cv).fit(X, y)
    with joblib.parallel_backend("dask"):
        got = GridSearchCV(base, grid, cv=cv, n_jobs=-1).fit(X, y)
    assert got.best_params_ == ref.best_params_
    assert_allclose(got.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"],
                    rtol=1e-12)  # fmt: skip
    # the fits really ran on the workers
    assert len(client.scheduler_info()["workers"]) == 2


def _fit_seed(seed):
    X, y, _, _ = make_data(seed=seed)
    return fastgs.dglnn_path(X, y, GROUP, alpha=ALPHA, max_iter=50).coef.copy()


def _fails(item):
    raise ValueError(f"item {item} is bad")


def test_map_on_cluster(client):
    seeds = [3, 1, 2, 1]
    expected = [_fit_seed(s) for s in seeds]
    for target in (client, client.scheduler.address):
        got = fdask.map_on_cluster(_fit_seed, seeds, target)
        assert len(got) == len(seeds)
        for a, b in zip(got, expected, strict=True):
            assert_allclose(a, b, rtol=0, atol=0)
    assert fdask.map_on_cluster(_fit_seed, [], client) == []
    with pytest.raises(ValueError, match="item 2 is bad"):
        fdask.map_on_cluster(_fails, [2], client)
    with pytest.raises(TypeError, match="callable"):
        fdask.map_on_cluster(3, [1], client)


def _kill_worker_at(monkeypatch, client, iteration):
    """Kill (SIGKILL) the worker of the first actor when the fit reaches ``iteration``."""
    original = fdask._ActorPool.partials
    killed = []

    def partials(self, w, shift, with_val, it):
        if it == iteration and not killed:
            address = self.actors[0]._address
            pid = client.run(os.getpid, workers=[address])[address]
            os.kill(pid, signal.SIGKILL)
            killed.append(address)
        return original(self, w, shift, with_val, it)

    monkeypatch.setattr(fdask._ActorPool, "partials", partials)
    return killed


def test_worker_killed_mid_fit_recovers_or_fails_clearly(client, monkeypatch):
    X, y, Xv, yv = make_data(seed=7)
    kw = {"alpha": ALPHA, "fit_intercept": True, "max_iter": 120}
    ref = fastgs.dglnn_path(X, y, GROUP, X_val=Xv, y_val=yv, **kw)
    killed = _kill_worker_at(monkeypatch, client, 40)
    Xd, yd = to_dask(X, y, ROWS)
    Xvd, yvd = to_dask(Xv, yv, VAL_ROWS)
    recoveries = []
    close = fdask._ActorPool.close
    monkeypatch.setattr(fdask._ActorPool, "close",
                        lambda self: (recoveries.append(self.n_recoveries), close(self)))  # fmt: skip
    try:
        got = fdask.dglnn_path(Xd, yd, GROUP, client=client, X_val=Xvd, y_val=yvd, **kw)
    except fdask.WorkerLostError as err:
        assert "iteration 40" in str(err) and "No result" in str(err)
    else:
        # the lost blocks were recomputed from X's graph, the actors rebuilt
        assert recoveries == [1]
        assert_same_path(got, ref)
    assert killed
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the worker


def test_worker_killed_with_unrecoverable_blocks_raises(client, monkeypatch):
    """Scattered blocks have no graph to recompute them from: a clear error, no result."""
    X, y, _, _ = make_data(seed=8)
    client.wait_for_workers(2, timeout=60)
    workers = sorted(client.scheduler_info()["workers"])
    # one block on each worker, as data only (no lineage)
    futures = [client.scatter(X[i * 80 : (i + 1) * 80], workers=[workers[i]]) for i in range(2)]
    blocks = [da.from_delayed(f, shape=(80, P), dtype=X.dtype) for f in futures]
    Xd = da.concatenate(blocks, axis=0)
    _kill_worker_at(monkeypatch, client, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed logs the lost worker
        with pytest.raises(fdask.WorkerLostError, match="iteration 10"):
            fdask.dglnn_path(Xd, y, GROUP, client=client, alpha=ALPHA, max_iter=50)
    client.wait_for_workers(2, timeout=60)


def test_reproduce_runs_on_the_cluster(client, tmp_path):
    """``fastgs reproduce ... --scheduler ADDRESS`` runs the seeds as tasks on the
    cluster and gives the same rows as the sequential run."""
    import json

    from distributed import get_task_stream

    from fastgs.paper import experiments
    from fastgs.cli import main

    with get_task_stream(client) as stream:
        code = main(["reproduce", "fig4", "--seeds", "2", "--quiet", "--out", str(tmp_path),
                     "--scheduler", client.scheduler.address])  # fmt: skip
    assert code == 0
    workers = {task["worker"] for task in stream.data}
    assert len(stream.data) >= 2 and workers  # the two runs were tasks on the workers
    with open(tmp_path / "fig4.json") as f:
        remote = json.load(f)["rows"]
    local = experiments.reproduce("fig4", 2).rows
    assert [r["seed"] for r in remote] == [r["seed"] for r in local]
    for a, b in zip(local, remote, strict=True):
        assert a["dglnn_val"] == pytest.approx(b["dglnn_val"], rel=1e-12)
        assert a["dlnn_val"] == pytest.approx(b["dlnn_val"], rel=1e-12)
