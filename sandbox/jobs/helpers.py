"""The trusted side of a raw-access job's ``ctx.crosstab`` and ``ctx.regression``.

The sandbox asks by name; the platform computes the exact aggregate from the raw version
the job read (:mod:`sandbox.disclosure.verified`), keeps it, with the counts and the
contributions behind each cell, under a fresh output id, and answers with the output the
model may return. When the model returns it unaltered, the output checks can verify every
cell; anything else the model returns is unverifiable and goes to a human.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.catalog.queries import dataset_row, metadata_of, version_row
from sandbox.disclosure.verified import HelperError, VerifiedOutput, crosstab, regression
from sandbox.platform import Platform
from sandbox.runtime.channel import HelperCall
from sandbox.runtime.executor import BrokerRefusal
from sandbox.storage.encryption import read_properties

__all__ = ["MAX_OUTPUTS", "RawHelpers", "read_version"]

MAX_OUTPUTS = 200
"""Most helper outputs one job may ask for."""


def read_version(platform: Platform, name: str, version: int) -> tuple[pa.Table, str | None]:
    """A dataset version's rows and its privacy unit column (trusted side only)."""
    with platform.sessions() as session:
        row = dataset_row(session, name)
        path = version_row(session, row, version).storage_path
        unit = metadata_of(row).privacy_unit
    with platform.store.filesystem.open_input_file(path) as handle:
        return pq.read_table(handle, decryption_properties=read_properties()), unit


class RawHelpers:
    """Answers one raw-access job's helper calls and keeps what it computed."""

    def __init__(self, platform: Platform, versions: Mapping[str, int]) -> None:
        self._platform = platform
        self._versions = dict(versions)
        self._tables: dict[str, tuple[pa.Table, str | None]] = {}
        self.outputs: dict[str, VerifiedOutput] = {}
        """Every output computed for the job, by id."""

    def table(self, name: str) -> tuple[pa.Table, str | None]:
        """The raw version ``name`` the job read (cached for the job)."""
        if name not in self._tables:
            self._tables[name] = read_version(self._platform, name, self._versions[name])
        return self._tables[name]

    def load_all(self) -> None:
        """Read every input version now, outside any write transaction (the checks need
        them while the job's row is locked; SQLite would make a second connection wait).
        """
        for name in self._versions:
            self.table(name)

    def __call__(self, message: dict[str, Any]) -> Any:
        """Compute one helper call; a bad call is refused with a message for the model."""
        call, dataset, args = message.get("call"), message.get("dataset"), message.get("args")
        if not isinstance(dataset, str) or dataset not in self._versions:
            raise BrokerRefusal(f"dataset {dataset!r} is not one of this job's datasets")
        if not isinstance(args, dict):
            raise BrokerRefusal("helper arguments must be an object")
        if len(self.outputs) >= MAX_OUTPUTS:
            raise BrokerRefusal(f"a job may ask for at most {MAX_OUTPUTS} helper outputs")
        table, unit = self.table(dataset)
        where = args.get("where")
        conditions = [tuple(w) for w in where] if isinstance(where, list) else None
        try:
            if call == HelperCall.CROSSTAB:
                output: VerifiedOutput = crosstab(
                    table,
                    rows=args.get("rows") or [],
                    cols=args.get("cols") or [],
                    value=args.get("value"),
                    agg=args.get("agg") or "count",
                    where=conditions,
                    unit=unit,
                )
            elif call == HelperCall.REGRESSION:
                output = regression(table, y=args.get("y"), x=args.get("x") or [], where=conditions)
            else:
                raise BrokerRefusal(f"unknown helper {call!r}")
        except HelperError as exc:
            raise BrokerRefusal(f"{call}(): {exc}") from None
        except (TypeError, ValueError, pa.ArrowException):
            # Not the helper's own validation: the message may quote data; say nothing of it.
            raise BrokerRefusal(f"{call}(): the arguments do not fit this dataset") from None
        output_id = f"{dataset}/{call}/{len(self.outputs) + 1}"
        self.outputs[output_id] = output
        return output.to_output(output_id)
