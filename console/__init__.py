"""The web console (policy §5.2, §6.2, §6.3, §7): the flagged-call review queue, call pages
with the redacted recording synchronised to the transcript, compliance and scorecard views,
local sign-in with roles, and an audit log of every look at a call. ``create_app`` builds
it; ``callqa serve`` runs it."""

from console.app import create_app
from console.audio import AudioSource, FolderAudio, ObjectStoreAudio

__all__ = ["AudioSource", "FolderAudio", "ObjectStoreAudio", "create_app"]
