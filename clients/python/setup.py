"""The optional C hash (``migctl_client._speedups``): built when a C compiler is there, skipped
otherwise, when the package routes with the pure-Python hash (same buckets, slower)."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("migctl_client._speedups", ["src/migctl_client/_speedups.c"], optional=True)])
