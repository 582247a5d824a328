"""callqa: speech-analytics quality monitoring for a bank's remote-agent centre.

The product is split by where the audio goes::

    storage/  recordings in (S3 or a folder)            -> bytes
    pipeline/ decode -> transcribe -> attribute speakers -> Transcript
    rules/    the bank's script rules, as data           -> rule results
    flows/    Prefect orchestration of the above
    models/   every model: where its files are, loaded once
    core/     what every layer shares: errors, transcript and analysis types, settings
    callqa/   the command line: the top floor, which nothing imports

Importing this package is cheap: nothing heavy is imported until used.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
