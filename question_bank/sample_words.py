"""Words the sample-bank templates draw from: names, places, institutions, number helpers.

Synthetic material for demos, tests and benchmarks; nothing here is an official question.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

NAMES = (
    "Andi", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gilang", "Hana", "Indra", "Joko",
    "Kartika", "Lestari", "Made", "Nur", "Oki", "Putri", "Rahmat", "Sari", "Taufik", "Umi",
    "Wayan", "Yusuf", "Zahra", "Agus", "Bayu", "Desi", "Fajar", "Intan", "Komang", "Ratna",
    "Siti", "Teguh", "Yohanes", "Maria", "Ketut", "Ahmad", "Nanda", "Rizky", "Dian", "Hendra",
)
CITIES = (
    "Medan", "Padang", "Pekanbaru", "Jambi", "Palembang", "Bengkulu", "Bandar Lampung",
    "Pangkalpinang", "Jakarta", "Bandung", "Semarang", "Yogyakarta", "Surabaya", "Serang",
    "Denpasar", "Mataram", "Kupang", "Pontianak", "Palangka Raya", "Banjarmasin", "Samarinda",
    "Tanjung Selor", "Manado", "Palu", "Makassar", "Kendari", "Gorontalo", "Mamuju", "Ambon",
    "Sofifi", "Jayapura", "Manokwari", "Banda Aceh", "Tanjungpinang", "Sorong", "Merauke",
)
INSTITUTIONS = (
    "Dinas Kependudukan dan Pencatatan Sipil", "Kantor Pelayanan Pajak Pratama",
    "Puskesmas Kecamatan", "Kantor Kecamatan", "Badan Pusat Statistik Kabupaten",
    "Dinas Perhubungan", "Rumah Sakit Umum Daerah", "Kantor Imigrasi", "Kantor Samsat",
    "Dinas Pendidikan", "Kantor Pertanahan", "Dinas Penanaman Modal dan PTSP",
    "Kantor Kelurahan", "Dinas Sosial", "Badan Kepegawaian Daerah",
)
SERVICES = (  # (institution, a service it gives)
    ("Dinas Kependudukan dan Pencatatan Sipil", "pembuatan KTP elektronik"),
    ("Dinas Kependudukan dan Pencatatan Sipil", "pengurusan akta kelahiran"),
    ("Dinas Kependudukan dan Pencatatan Sipil", "pengurusan kartu keluarga"),
    ("Kantor Imigrasi", "perpanjangan paspor"),
    ("Kantor Samsat", "pembayaran pajak kendaraan"),
    ("Dinas Penanaman Modal dan PTSP", "pengurusan izin usaha"),
    ("Kantor Pertanahan", "pendaftaran sertifikat tanah"),
    ("Puskesmas Kecamatan", "pelayanan rawat jalan"),
    ("Rumah Sakit Umum Daerah", "pendaftaran pasien rawat jalan"),
    ("Dinas Sosial", "pendaftaran bantuan sosial"),
    ("Dinas Pendidikan", "legalisasi ijazah"),
    ("Kantor Pelayanan Pajak Pratama", "pelaporan SPT tahunan"),
)
GOODS = (
    ("tas", 240_000), ("sepatu", 360_000), ("kemeja", 150_000), ("jam tangan", 480_000),
    ("kipas angin", 320_000), ("rice cooker", 560_000), ("helm", 280_000),
    ("printer", 1_200_000), ("lemari", 1_500_000), ("sepeda", 1_800_000),
)


def pick(rng: random.Random, values: tuple[str, ...] | list[str], k: int = 1) -> list[str]:
    """``k`` distinct values drawn from ``values``."""
    return rng.sample(list(values), k)


def rupiah(amount: int) -> str:
    """An amount in Indonesian notation: ``Rp1.250.000``."""
    return "Rp" + f"{amount:,}".replace(",", ".")


def number(value: float) -> str:
    """A number in Indonesian notation (decimal comma), without trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def near_numbers(rng: random.Random, answer: int, count: int = 4,
                 spread: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20)) -> list[int]:
    """``count`` plausible wrong answers near ``answer`` (distinct, positive, not it)."""
    scale = max(1, abs(answer) // 40)
    found: list[int] = []
    while len(found) < count:
        delta = rng.choice(spread) * scale * rng.choice((-1, 1))
        value = answer + delta
        if value > 0 and value != answer and value not in found:
            found.append(value)
    return found


@dataclass
class Draft:
    """A generated question before it becomes an item.

    Single-best: ``correct`` and four ``wrong`` texts. Graded (TKP): ``graded`` holds the five
    responses with their points 1–5.
    """

    stem: str
    correct: str = ""
    wrong: list[str] = field(default_factory=list)
    explanation: str = ""
    graded: list[tuple[str, int]] = field(default_factory=list)
