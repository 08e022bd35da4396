"""``python -m learnroi`` runs the command line."""

from __future__ import annotations

from learnroi.cli.main import run

if __name__ == "__main__":
    run()
