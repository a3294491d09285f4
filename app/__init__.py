"""The ``elecbay`` command-line app (installed as ``elecbay_app``).

It sits above the libraries it drives -- :mod:`elecbay_env`, :mod:`elecbay_agents`,
:mod:`elecbay_evaluate` and :mod:`elecbay_train` -- and may import all of them; none of
them imports it (``tests/test_import_graph.py`` checks). The modules: :mod:`.cli` (the
parser, ``elecbay run`` and ``elecbay policies``), :mod:`.clear_command` (``elecbay
clear``) and :mod:`.cda_command` (``elecbay cda``). ``python -m elecbay_app`` runs it.
"""

from __future__ import annotations
