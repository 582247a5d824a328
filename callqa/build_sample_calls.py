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

from callqa.demo import RECORDING_FORMAT, SHIPPED, demo_calls, synthesise_call


def main() -> None:
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with console.status("synthesising") as status:
            for call in demo_calls():
                status.update(f"synthesising {call.call_id} ({call.script})")
                synthesise_call(call, folder, folder)
        if SHIPPED.exists():
            shutil.rmtree(SHIPPED)
        SHIPPED.mkdir()
        for call in demo_calls():
            for name in (f"{call.call_id}.{RECORDING_FORMAT}", f"{call.call_id}.json"):
                shutil.copyfile(folder / name, SHIPPED / name)
    console.print(f"{len(demo_calls())} sample calls written to {SHIPPED}")


if __name__ == "__main__":
    main()
