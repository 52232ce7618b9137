"""Writes population_health.ipynb from population_health.py (cells split at ``# %%`` markers),
so the script and the notebook never drift apart. ``python examples/python/make_notebook.py``;
tests/python/test_examples.py checks that the committed notebook matches."""

from __future__ import annotations

import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def cells(source: str) -> list:
    out = []
    for chunk in source.split("# %%")[1:]:
        header, _, body = chunk.partition("\n")
        body = body.strip("\n")
        if header.strip() == "[markdown]":
            text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines())
            out.append({"cell_type": "markdown", "metadata": {}, "source": text})
        else:
            out.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": body})
    return out


def notebook(source: str) -> dict:
    return {
        "cells": cells(source),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def render(source: str) -> str:
    nb = notebook(source)
    for i, c in enumerate(nb["cells"]):
        c["id"] = f"cell-{i:02d}"
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    src = (HERE / "population_health.py").read_text(encoding="utf-8")
    (HERE / "population_health.ipynb").write_text(render(src), encoding="utf-8")
    print("wrote", HERE / "population_health.ipynb", file=sys.stderr)
