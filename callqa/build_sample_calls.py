"""Rebuilds the demo's shipped recordings (``callqa/sample_calls``) from ``synth.scripts``.

Run after changing a demo script, a voice or the synthesiser, then commit the folder:
``python -m callqa.build_sample_calls``. About five minutes on two cores, or seconds
when the speech is cached.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from rich.console import Console

from callqa.demo import SHIPPED, demo_calls, synthesise_call


def main() -> None:
    console = Console()
    calls = demo_calls()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / SHIPPED.name
        folder.mkdir()
        with console.status("synthesising") as status:
            for call in calls:
                status.update(f"synthesising {call.call_id} ({call.script})")
                synthesise_call(call, folder, folder)  # the truth beside its recording
        # replaced only once every call is built, so a failure leaves the old set whole
        shutil.rmtree(SHIPPED, ignore_errors=True)
        shutil.copytree(folder, SHIPPED)
    console.print(f"{len(calls)} sample calls written to {SHIPPED}")


if __name__ == "__main__":
    main()
