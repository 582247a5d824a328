"""Object storage for recordings and results (S3 via the MinIO client, or a local folder).

Planned by issue 4; nothing here yet.
"""
