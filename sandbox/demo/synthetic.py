"""Seeded synthetic datasets for the demo and the benchmarks: no real person is in them.

``city_residents`` imitates a conditional health/social dataset of a city (one row per
resident); ``district_facilities`` is a small unconditional table. Both are generated in
batches and written as Parquet, so a million rows need little memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DISTRICTS = (
    "Binhu",
    "Liangxi",
    "Xinwu",
    "Huishan",
    "Xishan",
    "Jiangyin",
    "Yixing",
    "Shibei",
    "Shinan",
    "Laoshan",
)
SEXES = ("F", "M")
NOTE_PHRASES = (
    "routine check-up",
    "follow-up visit",
    "chronic condition review",
    "vaccination",
    "prescription renewal",
    "referred to specialist",
    "no complaints",
    "lab results discussed",
    "home visit",
    "telephone consult",
)
BATCH_ROWS = 100_000


def city_residents_dictionary() -> list[dict[str, Any]]:
    """The data dictionary the provider declares for ``city_residents``."""
    return [
        {
            "name": "person_id",
            "type": "string",
            "classification": "identifier",
            "description": "Pseudonymous resident identifier; the privacy unit.",
        },
        {
            "name": "district",
            "type": "string",
            "classification": "quasi_identifier",
            "description": "District of residence.",
            "categories": list(DISTRICTS),
        },
        {
            "name": "sex",
            "type": "string",
            "classification": "quasi_identifier",
            "description": "Sex as registered.",
            "categories": list(SEXES),
        },
        {
            "name": "age",
            "type": "int64",
            "classification": "quasi_identifier",
            "description": "Age in whole years.",
            "lower": 0,
            "upper": 110,
        },
        {
            "name": "income",
            "type": "float64",
            "classification": "sensitive",
            "description": "Declared yearly income in yuan.",
            "lower": 0,
            "upper": 2_000_000,
        },
        {
            "name": "clinic_visits",
            "type": "int64",
            "classification": "sensitive",
            "description": "Clinic visits in the last year.",
            "lower": 0,
            "upper": 60,
        },
        {
            "name": "note",
            "type": "string",
            "classification": "sensitive",
            "description": "Free-text note from the last visit.",
            "nullable": True,
        },
    ]


def _residents_batch(rng: np.random.Generator, start: int, rows: int) -> pa.RecordBatch:
    ids = [f"P{n:08d}" for n in range(start, start + rows)]
    district = rng.choice(len(DISTRICTS), size=rows, p=_district_weights())
    age = np.clip(rng.normal(42, 21, size=rows).round(), 0, 104).astype(np.int64)
    income = np.round(np.clip(rng.lognormal(11.0, 0.7, size=rows), 0, 2_000_000), 2)
    income[age < 16] = 0.0
    visits = rng.poisson(1.0 + age / 25.0).astype(np.int64)
    phrase = rng.integers(0, len(NOTE_PHRASES), size=rows)
    has_note = rng.random(rows) < 0.8
    notes = [
        f"{NOTE_PHRASES[p]} ({d} clinic)" if keep else None
        for p, keep, d in zip(phrase, has_note, (DISTRICTS[i] for i in district), strict=True)
    ]
    return pa.record_batch(
        {
            "person_id": pa.array(ids, pa.string()),
            "district": pa.array([DISTRICTS[i] for i in district], pa.string()),
            "sex": pa.array([SEXES[i] for i in rng.integers(0, 2, size=rows)], pa.string()),
            "age": pa.array(age, pa.int64()),
            "income": pa.array(income, pa.float64()),
            "clinic_visits": pa.array(visits, pa.int64()),
            "note": pa.array(notes, pa.string()),
        }
    )


def _district_weights() -> np.ndarray:
    weights = np.linspace(1.6, 0.4, len(DISTRICTS))
    normalised: np.ndarray = weights / weights.sum()
    return normalised


def write_city_residents(path: Path, rows: int = 1_000_000, seed: int = 20261125) -> Path:
    """Write ``rows`` synthetic residents to ``path`` (Parquet), reproducibly for ``seed``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    partial = path.with_suffix(".part")
    with pq.ParquetWriter(partial, _residents_batch(rng, 0, 1).schema) as writer:
        rng = np.random.default_rng(seed)
        for start in range(0, rows, BATCH_ROWS):
            writer.write_batch(_residents_batch(rng, start, min(BATCH_ROWS, rows - start)))
    partial.rename(path)
    return path


def district_facilities_dictionary() -> list[dict[str, Any]]:
    """The data dictionary of the small unconditional table."""
    return [
        {
            "name": "district",
            "type": "string",
            "classification": "public",
            "description": "District name.",
            "categories": list(DISTRICTS),
        },
        {
            "name": "clinics",
            "type": "int64",
            "classification": "public",
            "description": "Public clinics in the district.",
            "lower": 0,
        },
        {
            "name": "schools",
            "type": "int64",
            "classification": "public",
            "description": "Public schools in the district.",
            "lower": 0,
        },
        {
            "name": "parks",
            "type": "int64",
            "classification": "public",
            "description": "Public parks in the district.",
            "lower": 0,
        },
    ]


def write_district_facilities(path: Path, seed: int = 7) -> Path:
    """Write the small unconditional table as CSV (providers often have CSV)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lines = ["district,clinics,schools,parks"]
    for district in DISTRICTS:
        clinics, schools, parks = (int(v) for v in rng.integers(3, 60, size=3))
        lines.append(f"{district},{clinics},{schools},{parks}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
