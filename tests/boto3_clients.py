"""boto3 clients for the tests, every one from one botocore data loader per process.

A fresh boto3 session parses botocore's JSON models again (about a fifth of a second a client);
the tests make hundreds of clients, so their sessions share one loader, which keeps what it has
parsed. Each client still has a session of its own: its keys, region and endpoint are its own.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.loaders
import botocore.session

_LOADER = botocore.loaders.create_loader()


def session(**keys: str) -> boto3.session.Session:
    """A boto3 session with `keys` (aws_access_key_id, ...) on the shared loader."""
    core = botocore.session.Session()
    core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core, **keys)


def client(service: str, **options: Any) -> Any:
    """`boto3.client(service, **options)`, on the shared loader."""
    return session().client(service, **options)
