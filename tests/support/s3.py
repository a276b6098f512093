"""A real S3 API server for the tests: moto's server on a loopback port, as PostgreSQL is.

The server enforces authentication (moto's ``INITIAL_NO_AUTH_ACTION_COUNT``): the first few
calls create an IAM user allowed ``s3:*`` and its access key, every later request must be
signed with that key. So a process without the credentials is refused, as it would be by a
real bucket, and a test can prove that the platform's workers got theirs from the platform.

moto runs through :mod:`tests.support.moto_server`, which fixes its signature check for
listings under a prefix. Each server has its own port and a bucket;
:meth:`S3Server.settings_env` gives the ``SANDBOX_*`` variables of a data root in it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REGION = "us-east-1"
REPOSITORY = Path(__file__).resolve().parents[2]
SETUP_ACTIONS = 3
"""The unsigned calls that create the user, its policy and its key; all later ones are checked."""
START_TIMEOUT = 60.0


class S3Unavailable(RuntimeError):
    """moto's server is not installed or did not start (the tests skip, saying why)."""


@dataclass
class S3Server:
    """A running moto server with one bucket and the credentials that may use it."""

    process: subprocess.Popen[bytes]
    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    log_path: Path

    def data_uri(self, prefix: str) -> str:
        """An ``s3://`` data root under ``prefix`` of the bucket."""
        return f"s3://{self.bucket}/{prefix}"

    def settings_env(self, prefix: str) -> dict[str, str]:
        """The environment of a server whose data root is ``prefix`` in this bucket."""
        return {
            "SANDBOX_DATA_URI": self.data_uri(prefix),
            "SANDBOX_S3_ENDPOINT_URL": self.endpoint,
            "SANDBOX_S3_REGION": REGION,
            "SANDBOX_S3_ACCESS_KEY_ID": self.access_key,
            "SANDBOX_S3_SECRET_ACCESS_KEY": self.secret_key,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_listening(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Wait for the port to accept connections (a TCP connect: no request is spent)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise S3Unavailable(f"moto's server exited: {log_path.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise S3Unavailable(f"moto's server did not listen in time: {log_path.read_text()[-2000:]}")


def start_s3_server(directory: Path) -> S3Server:
    """Start moto's server, create an authorised user and a bucket; raise
    :class:`S3Unavailable` if moto is missing or does not come up."""
    try:
        import boto3  # type: ignore[import-untyped]
        import moto.server  # noqa: F401 - only checks it is installed
    except ImportError as exc:
        raise S3Unavailable(f"moto[server] is not installed ({exc})") from exc
    port = _free_port()
    log_path = directory / "moto.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_ACTIONS)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-m", "tests.support.moto_server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPOSITORY,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_listening(port, process, log_path)
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
        )
        iam.create_user(UserName="sandbox")
        iam.put_user_policy(
            UserName="sandbox",
            PolicyName="data-root",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            ),
        )
        key = iam.create_access_key(UserName="sandbox")["AccessKey"]
        bucket = f"sandbox-{uuid.uuid4().hex[:12]}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        ).create_bucket(Bucket=bucket)
    except BaseException:
        stop_s3_server_process(process)
        raise
    return S3Server(process, endpoint, bucket, key["AccessKeyId"], key["SecretAccessKey"], log_path)


def stop_s3_server_process(process: subprocess.Popen[bytes]) -> None:
    """Stop moto's server (terminate, then kill)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
