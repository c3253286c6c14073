"""Sample-bank templates for TWK (Tes Wawasan Kebangsaan): facts, concepts and situations.

Facts come with a pool of wrong answers from the same field; situations are parameterised
with names, places and institutions. Each generator takes the random stream and a level
(0 easy, 1 medium, 2 hard).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from question_bank.sample_words import CITIES, NAMES, SERVICES, Draft, pick

Fact = tuple[str, str, tuple[str, ...], str]  # stem, answer, wrong pool, explanation

LEADS = ("", "Dalam diskusi kelompok belajar di {city}, {name} bertanya: ",
         "Pada kuis kebangsaan di {city}, peserta diminta menjawab: ",
         "{name} sedang mempelajari sejarah bangsa. ")


def _fact(rng: random.Random, facts: list[Fact]) -> Draft:
    stem, answer, pool, why = rng.choice(facts)
    lead = rng.choice(LEADS).format(city=rng.choice(CITIES), name=rng.choice(NAMES))
    text = lead + (stem[0].lower() + stem[1:] if lead.endswith(": ") else stem)
    return Draft(text, answer, rng.sample([p for p in pool if p != answer], 4), why)


TERMS = {
    "chauvinisme": "rasa cinta tanah air yang berlebihan sehingga merendahkan bangsa lain",
    "primordialisme": "sikap yang mengutamakan ikatan kesukuan atau daerah asal",
    "etnosentrisme": "menilai budaya kelompok lain dengan ukuran budaya sendiri",
    "patriotisme": "semangat rela berkorban demi bangsa dan negara",
    "kosmopolitanisme": "paham yang memandang diri sebagai warga dunia",
    "separatisme": "gerakan untuk memisahkan diri dari suatu negara",
    "nasionalisme": "paham yang menempatkan kesetiaan tertinggi pada bangsa dan negara",
}

NASIONALISME: list[Fact] = [
    ("Sumpah Pemuda diikrarkan pada tanggal ...", "28 Oktober 1928",
     ("20 Mei 1908", "17 Agustus 1945", "1 Juni 1945", "10 November 1945", "28 Oktober 1926"),
     "Sumpah Pemuda diikrarkan pada Kongres Pemuda II, 28 Oktober 1928."),
    ("Organisasi Budi Utomo berdiri pada tanggal ...", "20 Mei 1908",
     ("28 Oktober 1928", "16 Oktober 1905", "18 November 1912", "2 Mei 1889", "1 Juni 1945"),
     "Budi Utomo berdiri 20 Mei 1908, diperingati sebagai Hari Kebangkitan Nasional."),
    ("Teks Proklamasi dibacakan di Jalan Pegangsaan Timur Nomor ...", "56",
     ("1", "17", "45", "65", "8"), "Proklamasi dibacakan di Jalan Pegangsaan Timur 56."),
    ("Hari Pahlawan diperingati setiap tanggal ...", "10 November",
     ("20 Mei", "28 Oktober", "1 Oktober", "17 Agustus", "2 Mei"),
     "Hari Pahlawan mengenang pertempuran Surabaya, 10 November 1945."),
    ("Lagu kebangsaan Indonesia Raya diciptakan oleh ...", "W.R. Supratman",
     ("Ismail Marzuki", "C. Simanjuntak", "Ibu Sud", "H. Mutahar", "Kusbini"),
     "Indonesia Raya diciptakan Wage Rudolf Supratman dan diperdengarkan pada 1928."),
] + [(f"{desc[0].upper() + desc[1:]} disebut ...", term, tuple(TERMS),
      f"Itulah pengertian {term}.")
     for term, desc in TERMS.items()]


def nasionalisme(rng: random.Random, level: int) -> Draft:
    """History facts, concepts of nationalism, and everyday situations."""
    if level == 0 or rng.random() < 0.6:
        return _fact(rng, NASIONALISME)
    name, city, other = rng.choice(NAMES), *pick(rng, CITIES, 2)
    return Draft(
        f"{name} pindah dari {city} ke {other} untuk bekerja. Di lingkungan barunya ia "
        "menjumpai adat dan bahasa daerah yang berbeda. Sikap yang mencerminkan "
        "nasionalisme adalah ...",
        "mempelajari dan menghargai budaya setempat sambil menjaga persatuan",
        ["hanya bergaul dengan orang yang berasal dari daerah yang sama",
         "menganggap budaya daerah asalnya paling unggul",
         "menolak mengikuti kegiatan warga karena berbeda kebiasaan",
         "meminta warga setempat mengikuti adat daerah asalnya"],
        "Nasionalisme menempatkan persatuan di atas kepentingan kelompok dan daerah.")


ANTIKORUPSI = ("jujur", "peduli", "mandiri", "disiplin", "tanggung jawab", "kerja keras",
               "sederhana", "berani", "adil")
NOT_VALUES = ("boros", "tamak", "curang", "lalai", "malas", "pilih kasih", "sombong")
INTEGRITAS: list[Fact] = [
    ("Penerima gratifikasi wajib melaporkannya kepada KPK paling lambat ...",
     "30 hari kerja sejak diterima",
     ("7 hari kerja sejak diterima", "14 hari kalender", "60 hari kerja sejak diterima",
      "akhir tahun anggaran", "3 bulan sejak diterima"),
     "UU 20/2001 Pasal 12C mewajibkan laporan dalam 30 hari kerja."),
    ("Pemberian dalam arti luas kepada pegawai negeri yang berhubungan dengan jabatannya "
     "disebut ...", "gratifikasi", ("kolusi", "nepotisme", "donasi", "kompensasi", "subsidi"),
     "Itulah pengertian gratifikasi menurut penjelasan UU 20/2001 Pasal 12B."),
    ("Tindakan pejabat yang mengutamakan keluarga atau kerabat dalam pengangkatan pegawai "
     "disebut ...", "nepotisme", ("kolusi", "gratifikasi", "meritokrasi", "akuntabilitas",
                                  "transparansi"), "Itulah pengertian nepotisme."),
    ("Kesepakatan melawan hukum antara pejabat dan pihak lain yang merugikan negara "
     "disebut ...", "kolusi", ("nepotisme", "gratifikasi", "koalisi", "kompromi",
                               "konsensus"), "Itulah pengertian kolusi."),
]


def integritas(rng: random.Random, level: int) -> Draft:
    """Anti-corruption facts, values, and service-desk situations."""
    roll = rng.randrange(3) if level else rng.randrange(2)
    if roll == 0:
        return _fact(rng, INTEGRITAS)
    if roll == 1:
        value = rng.choice(ANTIKORUPSI)
        return Draft("Berikut ini yang termasuk sembilan nilai antikorupsi adalah ...", value,
                     pick(rng, NOT_VALUES, 4),
                     "Nilai antikorupsi: " + ", ".join(ANTIKORUPSI) + ".")
    name, city = rng.choice(NAMES), rng.choice(CITIES)
    office, service = rng.choice(SERVICES)
    return Draft(
        f"{name} adalah pegawai {office} di {city} yang melayani {service}. Seorang pemohon "
        "memberinya amplop berisi uang sebagai 'ucapan terima kasih' setelah urusannya "
        "selesai. Tindakan yang mencerminkan integritas adalah ...",
        "menolak dengan sopan dan menjelaskan bahwa layanan tidak memerlukan imbalan",
        ["menerimanya karena urusan pemohon sudah selesai",
         "menerimanya lalu membagikannya kepada rekan satu ruangan",
         "menerimanya jika jumlahnya tidak terlalu besar",
         "meminta pemohon menitipkannya kepada atasan"],
        "Imbalan terkait jabatan adalah gratifikasi; pegawai berintegritas menolaknya.")


BELA_NEGARA: list[Fact] = [
    ("Hak dan kewajiban warga negara untuk ikut serta dalam upaya pembelaan negara diatur "
     "dalam UUD NRI 1945 Pasal ...", "27 ayat (3)",
     ("28 ayat (1)", "30 ayat (2)", "31 ayat (1)", "29 ayat (2)", "33 ayat (3)"),
     "Pasal 27 ayat (3): setiap warga negara berhak dan wajib ikut serta dalam upaya "
     "pembelaan negara."),
    ("Sistem pertahanan dan keamanan yang dianut Indonesia menurut UUD NRI 1945 Pasal 30 "
     "ayat (2) adalah ...", "sistem pertahanan dan keamanan rakyat semesta",
     ("sistem pertahanan militer murni", "sistem pertahanan berbasis aliansi regional",
      "sistem wajib militer bagi seluruh warga", "sistem pertahanan sipil terbatas",
      "sistem keamanan swasta"),
     "Pasal 30 ayat (2) menyebut sistem pertahanan dan keamanan rakyat semesta."),
    ("Hari Bela Negara diperingati setiap tanggal ...", "19 Desember",
     ("10 November", "5 Oktober", "1 Oktober", "20 Mei", "22 Desember"),
     "19 Desember mengenang berdirinya Pemerintahan Darurat Republik Indonesia (1948)."),
    ("Salah satu nilai dasar bela negara adalah ...", "rela berkorban untuk bangsa dan negara",
     ("mengutamakan kepentingan golongan", "setia kepada kelompok asal",
      "mengikuti paham yang sedang populer", "menolak segala pengaruh luar",
      "menggunakan kekerasan untuk mempertahankan pendapat"),
     "Nilai dasar bela negara: cinta tanah air, sadar berbangsa dan bernegara, setia pada "
     "Pancasila, rela berkorban, dan kemampuan awal bela negara."),
]
DAILY_DEFENCE = ("membayar pajak tepat waktu", "belajar dengan sungguh-sungguh",
                 "ikut menjaga keamanan lingkungan melalui siskamling",
                 "menggunakan produk dalam negeri", "menjaga kebersihan fasilitas umum")
NOT_DEFENCE = ("menyebarkan berita yang belum jelas kebenarannya",
               "mencoret-coret fasilitas umum", "menghindari kewajiban membayar pajak",
               "mengikuti tawuran antarkampung", "merusak hutan untuk kepentingan pribadi",
               "memprovokasi warga agar membenci kelompok lain")


def bela_negara(rng: random.Random, level: int) -> Draft:
    """Constitutional basis and everyday forms of state defence."""
    if rng.random() < 0.5:
        return _fact(rng, BELA_NEGARA)
    name, city = rng.choice(NAMES), rng.choice(CITIES)
    return Draft(f"{name}, warga {city}, ingin menunjukkan sikap bela negara dalam kehidupan "
                 "sehari-hari. Tindakan yang tepat adalah ...", rng.choice(DAILY_DEFENCE),
                 pick(rng, NOT_DEFENCE, 4),
                 "Bela negara nonfisik dilakukan melalui pengabdian sesuai profesi dan ketaatan "
                 "pada hukum.")


SILA = [("Ketuhanan Yang Maha Esa", "bintang"),
        ("Kemanusiaan yang adil dan beradab", "rantai"),
        ("Persatuan Indonesia", "pohon beringin"),
        ("Kerakyatan yang dipimpin oleh hikmat kebijaksanaan dalam "
         "permusyawaratan/perwakilan", "kepala banteng"),
        ("Keadilan sosial bagi seluruh rakyat Indonesia", "padi dan kapas")]
PILAR: list[Fact] = [
    ("Semboyan Bhinneka Tunggal Ika berasal dari kitab ...", "Sutasoma karya Mpu Tantular",
     ("Negarakertagama karya Mpu Prapanca", "Arjunawiwaha karya Mpu Kanwa",
      "Pararaton", "Bharatayudha karya Mpu Sedah", "Kitab Sutasoma karya Mpu Prapanca"),
     "Bhinneka Tunggal Ika dikutip dari Kitab Sutasoma karya Mpu Tantular."),
    ("UUD 1945 disahkan oleh PPKI pada tanggal ...", "18 Agustus 1945",
     ("17 Agustus 1945", "1 Juni 1945", "22 Juni 1945", "29 Mei 1945", "27 Desember 1949"),
     "PPKI mengesahkan UUD 1945 dalam sidang 18 Agustus 1945."),
    ("Rumusan Pancasila tercantum dalam Pembukaan UUD NRI 1945 alinea ...", "keempat",
     ("pertama", "kedua", "ketiga", "kelima", "penutup"),
     "Dasar negara tercantum pada alinea keempat Pembukaan."),
    ("Ketua BPUPKI adalah ...", "dr. K.R.T. Radjiman Wedyodiningrat",
     ("Ir. Soekarno", "Drs. Mohammad Hatta", "Mr. Soepomo", "Mr. Muhammad Yamin",
      "Ki Hajar Dewantara"), "BPUPKI diketuai dr. Radjiman Wedyodiningrat."),
    ("Pernyataan 'Negara Indonesia adalah negara hukum' tercantum dalam UUD NRI 1945 "
     "Pasal ...", "1 ayat (3)", ("1 ayat (1)", "1 ayat (2)", "27 ayat (1)", "28D ayat (1)",
                                 "37 ayat (5)"),
     "Pasal 1 ayat (3) UUD NRI 1945."),
    ("UUD 1945 telah diamandemen sebanyak ...", "empat kali (1999–2002)",
     ("dua kali", "tiga kali", "lima kali", "satu kali", "enam kali"),
     "Amandemen pertama sampai keempat berlangsung 1999–2002."),
]


def pilar_negara(rng: random.Random, level: int) -> Draft:
    """Pancasila's principles and symbols, the constitution and its history."""
    roll = rng.randrange(3)
    if roll == 0:
        return _fact(rng, PILAR)
    index = rng.randrange(5)
    sila, symbol = SILA[index]
    if roll == 1 and level < 2:
        return Draft(f"Lambang sila ke-{index + 1} Pancasila pada perisai Garuda Pancasila "
                     "adalah ...", symbol, [s for _, s in SILA if s != symbol],
                     f"Sila ke-{index + 1} ({sila}) dilambangkan {symbol}.")
    return Draft(f"Sila Pancasila yang dilambangkan dengan {symbol} berbunyi ...", sila,
                 [s for s, _ in SILA if s != sila], f"{symbol.capitalize()}: sila ke-"
                 f"{index + 1}.")


BAKU = [("apotek", "apotik"), ("analisis", "analisa"), ("praktik", "praktek"),
        ("risiko", "resiko"), ("kualitas", "kwalitas"), ("jadwal", "jadual"),
        ("sistem", "sistim"), ("teknik", "tehnik"), ("objek", "obyek"), ("nasihat", "nasehat"),
        ("izin", "ijin"), ("hakikat", "hakekat"), ("karier", "karir"), ("ekstrem", "ekstrim"),
        ("frekuensi", "frekwensi"), ("kategori", "katagori"), ("zaman", "jaman"),
        ("aktivitas", "aktifitas"), ("kreativitas", "kreatifitas"), ("silakan", "silahkan"),
        ("antre", "antri"), ("imbau", "himbau"), ("utang", "hutang"), ("cendera mata",
                                                                          "cinderamata")]
VERBS = [("diserahkan", "di serahkan"), ("dibacakan", "di bacakan"),
         ("diletakkan", "di letakkan"), ("ditandatangani", "di tandatangani")]
EDITING = ("", "{name} sedang menyunting surat dinas {office} {city}. ",
           "Dalam laporan kegiatan yang disusun {name} di {city}, ada beberapa kata yang perlu "
           "diperiksa. ", "Sebelum mengirim pengumuman {office}, {name} memeriksa ejaannya. ")
PLACES = ("kantor", "ruang rapat", "aula", "balai desa", "meja depan")


def bahasa_indonesia(rng: random.Random, level: int) -> Draft:
    """Standard spelling (kata baku) and the prefix ``di-`` versus the preposition ``di``."""
    office, _ = rng.choice(SERVICES)
    lead = rng.choice(EDITING).format(name=rng.choice(NAMES), office=office,
                                      city=rng.choice(CITIES))
    if rng.random() < 0.6:
        chosen = rng.sample(BAKU, 5)
        if rng.random() < 0.5 or level == 0:
            return Draft(lead + "Penulisan kata baku yang tepat adalah ...", chosen[0][0],
                         [w for _, w in chosen[1:]],
                         f"Bentuk baku menurut KBBI: {chosen[0][0]} (bukan {chosen[0][1]}).")
        return Draft(lead + "Kata berikut yang tidak baku adalah ...", chosen[0][1],
                     [b for b, _ in chosen[1:]],
                     f"{chosen[0][1].capitalize()} seharusnya ditulis {chosen[0][0]}.")
    verb, split = rng.choice(VERBS)
    place, thing = rng.choice(PLACES), rng.choice(("Dokumen itu", "Surat keputusan itu",
                                                   "Laporan tahunan itu", "Berkas peserta"))
    return Draft(lead + "Kalimat berikut yang penulisannya sesuai kaidah adalah ...",
                 f"{thing} {verb} di {place}.",
                 [f"{thing} {split} di {place}.", f"{thing} {verb} di{place.replace(' ', '')}.",
                  f"{thing} {split} di{place.replace(' ', '')}.",
                  f"{thing} {verb}-di {place}."],
                 "Awalan di- ditulis serangkai dengan kata kerja; kata depan di ditulis "
                 "terpisah dari kata yang mengikutinya.")


GENERATORS: dict[str, Callable[[random.Random, int], Draft]] = {
    "Nasionalisme": nasionalisme, "Integritas": integritas, "Bela Negara": bela_negara,
    "Pilar Negara": pilar_negara, "Bahasa Indonesia": bahasa_indonesia,
}
