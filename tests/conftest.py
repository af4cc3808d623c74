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


def pytest_sessionfinish(session, exitstatus):
    """A skipped test is a test that did not run: fail the run instead of
    letting a green summary hide it."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped: failing the run (no test may be skipped)", red=True)
        session.exitstatus = 1
