"""Shared fixtures.  Numerical tests take the ``simd`` fixture, so they run
once under every SIMD level this CPU supports -- and the fixture checks, from
the identity each kernel table carries, that the kernels which ran were that
level's own and no other's."""
import pytest

import pyneuron
from pyneuron._core import LEVELS as ALL_LEVELS, lib

LEVELS = pyneuron.simd_levels()


@pytest.fixture(params=LEVELS)
def simd(request):
    previous = pyneuron.simd_level()
    pyneuron.set_simd_level(request.param)
    lib.pn_simd_served(1)
    yield request.param
    served = lib.pn_simd_served(1)
    pyneuron.set_simd_level(previous)
    levels = [name for code, name in enumerate(ALL_LEVELS) if served >> code & 1]
    assert levels == [request.param], (
        f"a test run at {request.param} ran the kernels of {levels or 'no level'} in its thread")


@pytest.fixture
def scene_cache(monkeypatch, tmp_path):
    """For scene tests: a fresh trajectory cache (so the test exercises the
    training too) in tmp_path, which also takes the rendered media."""
    import scene_harness  # noqa: F401  (puts scenes/ on the path)

    monkeypatch.setenv("PYNEURON_CACHE", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def interrupt_at_second_update(monkeypatch):
    """Give ``module``'s training a progress bar whose second update raises
    KeyboardInterrupt: Ctrl-C between two chunks of epochs."""
    def install(module):
        class InterruptingBar:
            calls = 0

            def update(self, n):
                self.calls += 1
                if self.calls == 2:
                    raise KeyboardInterrupt

            def set_postfix(self, **kw):
                pass

            def close(self):
                pass

        monkeypatch.setattr(module, "_progress_bar", lambda total, label: InterruptingBar())
    return install


def pytest_sessionfinish(session, exitstatus):
    """A skipped test is a test that did not run: fail the run instead of
    letting a green summary hide it."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped: failing the run (no test may be skipped)", red=True)
        session.exitstatus = 1
