"""Every public name has a docstring with an example; the examples that run, run."""

import doctest
import inspect
import pydoc

import pytest

import cin_core
from cin_core import _alert, _network, _risk, _table, exceptions


def test_every_public_name_is_documented_with_an_example():
    for name in cin_core.__all__:
        if name == "__version__":
            continue
        obj = getattr(cin_core, name)
        doc = inspect.getdoc(obj) or ""
        assert len(doc) > 40, name
        is_exception = inspect.isclass(obj) and issubclass(obj, BaseException)
        if not is_exception:
            assert ">>>" in doc, f"{name} has no example"
    for name, member in inspect.getmembers(cin_core.Network):
        if name.startswith("_") or not callable(member):
            continue
        doc = inspect.getdoc(member) or ""
        assert ">>>" in doc, f"Network.{name} has no example"


def test_help_network_is_useful():
    text = pydoc.render_doc(cin_core.Network, renderer=pydoc.plaintext)
    for word in ("load_fhir", "readmissions", "check_prescription", "measures", "to_pandas", "GIL"):
        assert word in text, word


@pytest.mark.parametrize("module", [cin_core, _alert, _network, _risk, _table, exceptions])
def test_docstring_examples(module):
    globs = {"cin_core": cin_core}
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    ran = 0
    for test in finder.find(module, module.__name__, globs=dict(globs)):
        runner.run(test)
        ran += sum(1 for ex in test.examples if not ex.options.get(doctest.SKIP))
    result = runner.summarize(verbose=False)
    assert result.failed == 0
    if module in (_risk, exceptions, _network):
        assert ran > 0
