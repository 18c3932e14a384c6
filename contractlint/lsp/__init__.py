"""``contractlint server``: the language server (``contractlint[lsp]``).

``text`` is the protocol's text model (positions, changes, minimal edits) and needs
nothing beyond the standard library; ``server`` is the server itself, on pygls. Nothing
outside this package imports pygls, so ``contractlint check`` never loads it.
"""
