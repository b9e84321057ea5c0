"""The parts of contract-kit's pytest plugin; `contract_kit.plugin` (the `pytest11` entry point) wires them.

`fixtures`: the fixtures users request or override, and the end-of-test check of recorded traffic.
`ledger`: what one process saw of the session's Flex traffic, sent from xdist workers to the controller.
`summary`: the end of the session: coverage, its JSON report, and the cassettes no test used.

Nothing here imports the library at import time: `pytest` starts as fast with the plugin installed.
"""
