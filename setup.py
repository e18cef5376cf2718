"""The top-level folders install under one namespace: solver/ as enmusubi.solver, and so on.

Everything else about the distribution is in pyproject.toml; only the package list, which
follows the folders, is computed here so that a new subpackage needs no edit.
"""

from setuptools import find_namespace_packages, setup

FOLDERS = ("solver", "constraints", "service", "scenarios")

setup(
    packages=[
        "enmusubi",
        # Namespace discovery also lists data folders (scenarios/tokyo), so their files install as package data.
        *(
            f"enmusubi.{name}"
            for name in find_namespace_packages(include=[f"{f}*" for f in FOLDERS], exclude=["*__pycache__*"])
        ),
    ],
    package_dir={"enmusubi": "enmusubi", **{f"enmusubi.{folder}": folder for folder in FOLDERS}},
)
