"""Sample-bank templates for TIU (Tes Intelegensia Umum): verbal, numeric, figural-free logic.

Numeric items are computed: the keyed option is the true answer of the generated numbers.
Each generator takes the random stream and a level (0 easy, 1 medium, 2 hard).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

from question_bank.sample_words import CITIES, GOODS, NAMES, Draft, near_numbers, pick, rupiah

RELATIONS: dict[str, list[tuple[str, str]]] = {
    "profesi dan tempat kerjanya": [
        ("dokter", "rumah sakit"), ("guru", "sekolah"), ("petani", "sawah"),
        ("nelayan", "laut"), ("hakim", "pengadilan"), ("koki", "dapur"),
        ("montir", "bengkel"), ("pustakawan", "perpustakaan"), ("apoteker", "apotek")],
    "alat dan penggunanya": [
        ("cangkul", "petani"), ("jarum", "penjahit"), ("kuas", "pelukis"),
        ("stetoskop", "dokter"), ("jala", "nelayan"), ("kamera", "fotografer"),
        ("gergaji", "tukang kayu"), ("mikroskop", "peneliti")],
    "bahan dan hasil olahannya": [
        ("kapas", "benang"), ("kayu", "meja"), ("susu", "keju"), ("tebu", "gula"),
        ("gandum", "roti"), ("kedelai", "tempe"), ("tanah liat", "gerabah"),
        ("benang", "kain")],
    "alat ukur dan besarannya": [
        ("termometer", "suhu"), ("barometer", "tekanan udara"), ("timbangan", "massa"),
        ("penggaris", "panjang"), ("speedometer", "kecepatan"), ("higrometer", "kelembapan"),
        ("seismograf", "getaran gempa"), ("anemometer", "kecepatan angin")],
    "kata dan lawan katanya": [
        ("tinggi", "rendah"), ("panas", "dingin"), ("kaya", "miskin"), ("maju", "mundur"),
        ("terang", "gelap"), ("luas", "sempit"), ("tebal", "tipis"), ("rajin", "malas")],
    "kata dan persamaan katanya": [
        ("pandai", "pintar"), ("bahagia", "gembira"), ("lelah", "letih"), ("sulit", "sukar"),
        ("indah", "elok"), ("cepat", "lekas"), ("kokoh", "kuat"), ("ramah", "santun")],
}


def analogi(rng: random.Random, level: int) -> Draft:
    """Word-pair analogies; the hard form asks for the missing fourth word."""
    relation = rng.choice(sorted(RELATIONS))
    pairs = RELATIONS[relation]
    (a, b), (c, d) = rng.sample(pairs, 2)
    others = [p for r, ps in sorted(RELATIONS.items()) if r != relation for p in ps]
    why = f"Hubungan {a} dengan {b} adalah {relation}; demikian pula {c} dengan {d}."
    if level == 2:
        wrong = [y for _, y in rng.sample([p for p in pairs if p[1] != d], 2)]
        wrong += [y for _, y in rng.sample(others, 2)]
        return Draft(f"{a.capitalize()} : {b} = {c} : ...", d, wrong, why)
    wrong_pairs = rng.sample(others, 3) + [(d, c)]
    return Draft(f"{a.capitalize()} : {b} = ... : ...", f"{c} : {d}",
                 [f"{x} : {y}" for x, y in wrong_pairs], why)


SYLLOGISM_TERMS = [
    ("peserta ujian", "wajib membawa kartu identitas"),
    ("pegawai di kantor itu", "mengikuti apel pagi"),
    ("mahasiswa jurusan statistika", "mempelajari kalkulus"),
    ("pedagang di pasar kota", "membayar retribusi harian"),
    ("atlet pelatnas", "menjalani tes kebugaran"),
    ("anggota koperasi desa", "memiliki buku simpanan"),
    ("pengemudi bus antarkota", "memiliki SIM B"),
]
CONDITIONS = [
    ("hujan turun deras", "hujan tidak turun deras", "jalan di {city} tergenang",
     "jalan di {city} tidak tergenang"),
    ("listrik di gedung ujian padam", "listrik di gedung ujian tidak padam",
     "ujian sesi pagi ditunda", "ujian sesi pagi tidak ditunda"),
    ("{name} lulus seleksi administrasi", "{name} tidak lulus seleksi administrasi",
     "{name} mengikuti SKD", "{name} tidak mengikuti SKD"),
    ("harga cabai naik", "harga cabai tidak naik", "pedagang di {city} mengurangi stok",
     "pedagang di {city} tidak mengurangi stok"),
]


def silogisme(rng: random.Random, level: int) -> Draft:
    """Categorical and conditional syllogisms with one valid conclusion."""
    name, city = rng.choice(NAMES), rng.choice(CITIES)
    form = rng.randrange(3) if level else rng.randrange(2)
    lead = "Kesimpulan yang tepat dari pernyataan berikut adalah ...\n\n"
    none = "Tidak dapat ditarik kesimpulan."
    if form < 2:
        group, act = rng.choice(SYLLOGISM_TERMS)
        neg = f"tidak {act}"
        if form == 0:
            stem = f"Semua {group} {act}. {name} adalah {group}."
            return Draft(lead + stem, f"{name} {act}.",
                         [f"{name} {neg}.", f"Semua yang {act} adalah {group}.",
                          f"Sebagian {group} {neg}.", none],
                         "Modus ponens pada pernyataan kategoris: anggota himpunan mewarisi "
                         "sifat himpunannya.")
        stem = f"Semua {group} {act}. {name} {neg}."
        return Draft(lead + stem, f"{name} bukan {group}.",
                     [f"{name} adalah {group}.", f"{name} mungkin {group}.",
                      f"Sebagian {group} {neg}.", none],
                     "Modus tollens: yang tidak memiliki sifat itu pasti bukan anggotanya.")
    p, not_p, q, not_q = (s.format(name=name, city=city) for s in rng.choice(CONDITIONS))
    stem = f"Jika {p}, maka {q}. Ternyata {not_q}."
    return Draft(lead + stem, f"{not_p.capitalize()}.",
                 [f"{p.capitalize()}.", f"{q.capitalize()}.",
                  f"{p.capitalize()} dan {not_q}.", none],
                 "Modus tollens: jika p maka q; bukan q, jadi bukan p.")


ORDERINGS = [("tinggi", "lebih tinggi daripada", "lebih pendek daripada", "paling tinggi"),
             ("tua", "lebih tua daripada", "lebih muda daripada", "paling tua"),
             ("nilai", "mendapat nilai lebih besar daripada", "mendapat nilai lebih kecil "
              "daripada", "bernilai paling besar"),
             ("cepat", "berlari lebih cepat daripada", "berlari lebih lambat daripada",
              "paling cepat")]


def analitis(rng: random.Random, level: int) -> Draft:
    """Order five people from comparison clues and ask who is at a given place."""
    people = pick(rng, NAMES, 5)  # people[0] is first (e.g. tallest)
    _, more, less, top = rng.choice(ORDERINGS)
    clues = []
    for upper, lower in zip(people, people[1:], strict=False):
        clues.append(f"{upper} {more} {lower}." if rng.random() < 0.5
                     else f"{lower} {less} {upper}.")
    rng.shuffle(clues)
    place = 0 if level == 0 else rng.choice((1, 2, 3) if level == 2 else (0, 4))
    ask = {0: f"{top}", 4: "berada di urutan terakhir", 1: "berada di urutan kedua",
           2: "berada di urutan ketiga", 3: "berada di urutan keempat"}[place]
    stem = ("Lima orang sahabat dibandingkan. " + " ".join(clues) +
            f"\n\nSiapakah yang {ask}?")
    answer = people[place]
    return Draft(stem, answer, [p for p in people if p != answer],
                 "Urutan lengkapnya: " + ", ".join(people) + ".")


def _berhitung_percent(rng: random.Random, level: int) -> tuple[str, int, str]:
    p = rng.choice((5, 10, 15, 20, 25, 30, 40, 60, 75))
    n = rng.randrange(2, 40) * 20
    extra = rng.randrange(10, 90) if level else 0
    ans = p * n // 100 + extra
    tail = f" + {extra}" if extra else ""
    return f"{p}% × {n}{tail} = ...", ans, f"{p}% × {n} = {p * n // 100}{tail}"


def _berhitung_mixed(rng: random.Random, level: int) -> tuple[str, int, str]:
    a, b = rng.randrange(12, 40 + 30 * level), rng.randrange(3, 15)
    d = rng.randrange(2, 9)
    c = d * rng.randrange(5, 30)
    ans = a * b - c // d
    return (f"{a} × {b} − {c} : {d} = ...", ans,
            f"Kali dan bagi dahulu: {a * b} − {c // d} = {ans}")


def _berhitung_square(rng: random.Random, level: int) -> tuple[str, int, str]:
    k, m = rng.randrange(4, 16 + 10 * level), rng.randrange(3, 13)
    ans = k + m * m
    return (f"√{k * k} + {m}² = ...", ans, f"√{k * k} = {k} dan {m}² = {m * m}")


def berhitung(rng: random.Random, level: int) -> Draft:
    """Arithmetic: percentages, order of operations, squares and roots, fractions."""
    kind = rng.randrange(4)
    if kind == 3:
        x, y = Fraction(rng.randrange(1, 6), rng.randrange(2, 7)), Fraction(
            rng.randrange(1, 6), rng.randrange(2, 9))
        total = x + y
        wrong = {Fraction(x.numerator + y.numerator, x.denominator + y.denominator),
                 total + Fraction(1, total.denominator), total - Fraction(1, total.denominator * 2),
                 x * y, total + 1, abs(x - y) + Fraction(1, 3)}
        wrong.discard(total)
        texts = [_frac(w) for w in sorted(wrong)]
        picked = [t for t in dict.fromkeys(texts) if t != _frac(total)]
        rng.shuffle(picked)
        return Draft(f"Hasil dari {_frac(x)} + {_frac(y)} adalah ...", _frac(total),
                     picked[:4], f"Samakan penyebut: hasilnya {_frac(total)}.")
    stem, ans, why = (_berhitung_percent, _berhitung_mixed, _berhitung_square)[kind](rng, level)
    return Draft(f"Hasil dari {stem}", str(ans), [str(v) for v in near_numbers(rng, ans)], why)


def _frac(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def deret_angka(rng: random.Random, level: int) -> Draft:
    """Number series: arithmetic, geometric, second-order, interleaved, Fibonacci-like."""
    kind = rng.choice(((0, 1), (0, 1, 2, 3), (2, 3, 4))[level])
    if kind == 0:
        start, step = rng.randrange(1, 40), rng.randrange(2, 13) * rng.choice((1, 1, -1))
        if step < 0:
            start += 12 * -step
        terms = [start + i * step for i in range(7)]
        why = f"Setiap suku bertambah {step}."
    elif kind == 1:
        start, ratio = rng.randrange(1, 6), rng.choice((2, 3))
        terms = [start * ratio ** i for i in range(7)]
        why = f"Setiap suku dikali {ratio}."
    elif kind == 2:
        start, diff, grow = rng.randrange(1, 20), rng.randrange(1, 6), rng.randrange(1, 4)
        terms = [start]
        for i in range(6):
            terms.append(terms[-1] + diff + i * grow)
        why = f"Selisihnya bertambah {grow} setiap langkah."
    elif kind == 3:
        a, da, b, db = (rng.randrange(1, 20), rng.randrange(2, 7), rng.randrange(20, 60),
                        rng.randrange(1, 5))
        terms = [a + (i // 2) * da if i % 2 == 0 else b - (i // 2) * db for i in range(7)]
        why = (f"Dua deret berselang-seling: yang satu bertambah {da}, "
               f"yang lain berkurang {db}.")
    else:
        terms = [rng.randrange(1, 6), rng.randrange(2, 8)]
        while len(terms) < 7:
            terms.append(terms[-1] + terms[-2])
        why = "Setiap suku adalah jumlah dua suku sebelumnya."
    shown = ", ".join(str(t) for t in terms[:6])
    ans = terms[6]
    return Draft(f"Suku berikutnya dari deret {shown}, ... adalah ...", str(ans),
                 [str(v) for v in near_numbers(rng, ans, spread=(1, 2, 3, 4, 6, 8))], why)


COMPARE = ("P > Q", "P < Q", "P = Q", "Hubungan P dan Q tidak dapat ditentukan",
           "P dan Q tidak dapat dibandingkan karena satuannya berbeda")


def perbandingan_kuantitatif(rng: random.Random, level: int) -> Draft:
    """Compare two computed quantities P and Q."""
    p_pct = rng.choice((10, 20, 25, 40, 50, 75))
    p_base = rng.randrange(2, 20) * 40
    p = p_pct * p_base // 100
    c, d = rng.choice(((1, 2), (1, 3), (2, 3), (3, 4), (1, 4), (2, 5), (3, 5)))
    delta = rng.choice((0, 0, 1, -1, 2, -2)) * rng.randrange(1, 3 + level * 4)
    m = max(1, round((p + delta) / c))
    q = c * m
    relation = "P > Q" if p > q else "P < Q" if p < q else "P = Q"
    stem = (f"Diketahui P = {p_pct}% dari {p_base} dan Q = {c}/{d} dari {d * m}.\n\n"
            "Hubungan yang tepat antara P dan Q adalah ...")
    return Draft(stem, relation, [x for x in COMPARE if x != relation],
                 f"P = {p} dan Q = {q}, jadi {relation}.")


def soal_cerita(rng: random.Random, level: int) -> Draft:
    """Word problems: travel time, joint work, discounts, ages, averages."""
    kind = rng.randrange(5)
    a, b = pick(rng, NAMES, 2)
    if kind == 0:
        src, dst = pick(rng, CITIES, 2)
        speed = rng.choice((40, 50, 60, 80))
        hours = Fraction(rng.randrange(2, 9), 2)
        dist = int(speed * hours)
        dep = rng.randrange(6, 11)
        arrive = dep * 60 + int(hours * 60)
        ans = f"{arrive // 60:02d}.{arrive % 60:02d}"
        wrong = [f"{(arrive + k) // 60:02d}.{(arrive + k) % 60:02d}"
                 for k in (-60, -30, 30, 60)]
        return Draft(f"Sebuah bus berangkat dari {src} menuju {dst} pukul {dep:02d}.00 "
                     f"dengan kecepatan rata-rata {speed} km/jam. Jika jarak yang ditempuh "
                     f"{dist} km, bus tiba pukul ...", ans, wrong,
                     f"Waktu tempuh = {dist} : {speed} jam.")
    if kind == 1:
        x, y = rng.choice(((3, 6), (4, 12), (6, 12), (10, 15), (12, 24), (20, 30), (5, 20),
                           (6, 30), (12, 36)))
        days = x * y // (x + y)
        return Draft(f"{a} dapat menyelesaikan pekerjaan mengecat pagar dalam {x} hari, "
                     f"sedangkan {b} dalam {y} hari. Jika bekerja bersama-sama, pekerjaan "
                     f"itu selesai dalam ... hari.", str(days),
                     [str(v) for v in near_numbers(rng, days, spread=(1, 2, 3, 4, 5))],
                     f"1/{x} + 1/{y} = 1/{days}.")
    if kind == 2:
        good, price = rng.choice(GOODS)
        d1 = rng.choice((10, 20, 25, 30))
        d2 = rng.choice((0, 10)) if level == 2 else 0
        pay = price * (100 - d1) // 100 * (100 - d2) // 100
        extra = f" dan diskon lanjutan {d2}%" if d2 else ""
        guesses = {price * (100 - d1 - d2) // 100, pay + price // 20, pay - price // 20,
                   price * d1 // 100, pay + price // 10}
        guesses.discard(pay)
        return Draft(f"{a} membeli {good} seharga {rupiah(price)} dengan diskon {d1}%{extra}. "
                     f"Uang yang harus dibayar adalah ...", rupiah(pay),
                     [rupiah(v) for v in sorted(guesses)[:4]],
                     f"Harga setelah diskon: {rupiah(pay)}.")
    if kind == 3:
        young, k, later = rng.randrange(4, 15), rng.choice((2, 3, 4)), rng.randrange(2, 8)
        old = young * k
        total = old + young + 2 * later
        return Draft(f"Umur {a} sekarang {k} kali umur {b}. {later} tahun lagi, jumlah umur "
                     f"mereka {total} tahun. Umur {a} sekarang adalah ... tahun.", str(old),
                     [str(v) for v in near_numbers(rng, old, spread=(1, 2, 3, 4, 5, 6))],
                     f"Umur {b} = x, maka {k}x + x + {2 * later} = {total}.")
    n, mean = rng.randrange(4, 12), rng.randrange(60, 80)
    new_mean = mean + rng.choice((1, 2, 3)) * rng.choice((1, -1))
    score = new_mean * (n + 1) - n * mean
    if not 0 < score <= 100:
        new_mean, score = mean, mean
    return Draft(f"Rata-rata nilai {n} peserta pelatihan di {rng.choice(CITIES)} adalah {mean}. "
                 f"Setelah nilai {a} ditambahkan, rata-ratanya menjadi {new_mean}. Nilai {a} "
                 "adalah ...", str(score),
                 [str(v) for v in near_numbers(rng, score, spread=(1, 2, 3, 5, 7, 9))],
                 f"{new_mean} × {n + 1} − {mean} × {n} = {score}.")


GENERATORS: dict[str, Callable[[random.Random, int], Draft]] = {
    "Analogi": analogi, "Silogisme": silogisme, "Analitis": analitis,
    "Berhitung": berhitung, "Deret Angka": deret_angka,
    "Perbandingan Kuantitatif": perbandingan_kuantitatif, "Soal Cerita": soal_cerita,
}
