"""contractlint: lint Kestra flows and the Python modules they call against the pipeline contracts."""

__version__ = "0.1.0"
