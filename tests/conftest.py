"""Shared fixtures.  Numerical tests take the ``simd`` fixture, so they run
once under every SIMD level this CPU supports."""
import pytest

import pyneuron

LEVELS = pyneuron.simd_levels()


@pytest.fixture(params=LEVELS)
def simd(request):
    previous = pyneuron.simd_level()
    pyneuron.set_simd_level(request.param)
    yield request.param
    pyneuron.set_simd_level(previous)


@pytest.fixture
def scene_cache(monkeypatch, tmp_path):
    """For scene tests: a fresh trajectory cache (so the test exercises the
    training too) in tmp_path, which also takes the rendered media."""
    import scene_harness  # noqa: F401  (puts scenes/ on the path)
    import common

    monkeypatch.setenv("PYNEURON_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(common, "CACHE", tmp_path / "cache")
    return tmp_path


def pytest_sessionfinish(session, exitstatus):
    """A skipped test is a test that did not run: fail the run instead of
    letting a green summary hide it."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped: failing the run (no test may be skipped)", red=True)
        session.exitstatus = 1
