"""Sample-bank templates for TKP (Tes Karakteristik Pribadi): situations with graded responses.

Each scenario lists five responses from the most fitting (5 points) to the least (1 point);
names, places, institutions and services are filled in at random, and the sample bank
shuffles the order the responses appear in.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from question_bank.sample_words import CITIES, INSTITUTIONS, NAMES, SERVICES, Draft

# Each scenario: the situation, then five responses ordered best (5) to worst (1).
Scenario = tuple[str, tuple[str, str, str, str, str]]

SCENARIOS: dict[str, list[Scenario]] = {
    "Pelayanan Publik": [
        ("Anda petugas {service} di {office} {city}. Antrean panjang dan seorang warga lanjut "
         "usia terlihat kelelahan menunggu. Sikap Anda ...",
         ("mengarahkannya ke loket prioritas sesuai ketentuan dan melayaninya dengan ramah",
          "menyediakan kursi dan air minum sambil menunggu gilirannya",
          "meminta rekan memeriksa apakah berkasnya sudah lengkap",
          "memintanya bersabar karena semua warga harus antre",
          "membiarkannya karena bukan tugas Anda mengatur antrean")),
        ("Seorang warga di {city} marah karena {service} yang diurusnya belum selesai melewati "
         "janji waktu. Anda petugas di {office}. Tindakan Anda ...",
         ("meminta maaf, memeriksa penyebab keterlambatan, dan memberi kepastian waktu baru",
          "menjelaskan prosedur yang sedang berjalan dengan tenang",
          "mencatat keluhannya untuk disampaikan kepada atasan",
          "memintanya datang lagi minggu depan",
          "menyalahkan bagian lain atas keterlambatan itu")),
        ("Sistem antrean daring {office} {city} sedang gangguan pada hari ramai. Sikap Anda "
         "sebagai petugas ...",
         ("segera memberlakukan antrean manual yang tertib dan melaporkan gangguan",
          "mengumumkan gangguan kepada warga dan meminta kesabaran",
          "menunggu teknisi memperbaiki sistem sebelum melayani lagi",
          "melayani warga yang dikenal lebih dahulu agar cepat",
          "menutup layanan lebih awal hari itu")),
    ],
    "Jejaring Kerja": [
        ("{office} tempat Anda bekerja di {city} akan mengadakan program bersama instansi lain. "
         "Anda ditunjuk sebagai penghubung. Langkah Anda ...",
         ("menyusun rencana komunikasi dan membangun kontak rutin dengan mitra",
          "mempelajari profil dan kebutuhan instansi mitra",
          "menunggu undangan rapat dari instansi mitra",
          "meminta rekan lain yang lebih berpengalaman menggantikan",
          "menganggap tugas itu tidak penting")),
        ("Rekan dari instansi lain yang dulu pernah bekerja sama dengan Anda meminta data untuk "
         "kegiatan di {city}. Tanggapan Anda ...",
         ("membantunya sesuai prosedur berbagi data yang berlaku",
          "mengarahkannya mengajukan permintaan resmi ke {office}",
          "menjanjikan akan membantu bila sempat",
          "mengirimkan data tanpa memeriksa kewenangan",
          "mengabaikan permintaannya")),
        ("Dalam tim lintas bidang, {name} sering berbeda pendapat dengan Anda. Sikap Anda ...",
         ("mengajaknya berdiskusi untuk mencari titik temu demi tujuan tim",
          "mendengarkan alasannya lalu menyampaikan pandangan Anda",
          "meminta ketua tim memutuskan",
          "mengikuti pendapatnya agar tidak ribut",
          "menghindari bekerja dengannya")),
    ],
    "Sosial Budaya": [
        ("Anda ditempatkan bertugas di {city} yang adat istiadatnya berbeda dengan daerah asal "
         "Anda. Sikap Anda ...",
         ("mempelajari adat setempat dan ikut serta dalam kegiatan warga",
          "bertanya kepada rekan setempat tentang kebiasaan yang perlu dihormati",
          "menyesuaikan diri seperlunya saja",
          "tetap membawa kebiasaan daerah asal tanpa memperhatikan lingkungan",
          "meminta pindah tugas ke daerah asal")),
        ("Tetangga Anda di {city} yang berbeda agama sedang merayakan hari raya. Sikap Anda ...",
         ("mengucapkan selamat dan membantu menjaga ketertiban lingkungan",
          "berkunjung bersilaturahmi bila diundang",
          "menghormati perayaan itu dari rumah",
          "tidak peduli karena bukan hari raya Anda",
          "mengeluhkan keramaian perayaan kepada warga lain")),
        ("{name}, rekan kerja Anda, berasal dari suku yang sering menjadi bahan candaan di "
         "kantor. Sikap Anda ...",
         ("mengingatkan rekan-rekan bahwa candaan itu tidak pantas",
          "mengajak {name} berbincang agar ia merasa diterima",
          "tidak ikut tertawa saat candaan itu muncul",
          "menganggapnya hal biasa di kantor",
          "ikut bercanda agar suasana akrab")),
    ],
    "Teknologi Informasi dan Komunikasi": [
        ("{office} di {city} mulai memakai aplikasi layanan baru yang belum Anda kuasai. "
         "Sikap Anda ...",
         ("mempelajarinya dengan serius dan membantu rekan yang kesulitan",
          "mengikuti pelatihan yang disediakan kantor",
          "mempelajarinya jika sudah diwajibkan",
          "meminta rekan mengerjakan bagian yang memakai aplikasi itu",
          "tetap memakai cara lama")),
        ("Anda menerima pesan berantai berisi kabar menghebohkan tentang {office}. "
         "Tindakan Anda ...",
         ("memeriksa kebenarannya ke sumber resmi sebelum menanggapi",
          "tidak meneruskannya sampai jelas kebenarannya",
          "menanyakannya kepada rekan kerja",
          "meneruskannya ke grup keluarga agar waspada",
          "menyebarkannya ke media sosial")),
        ("Seseorang menelepon mengaku petugas teknis dan meminta kata sandi akun kerja Anda. "
         "Tindakan Anda ...",
         ("menolak, tidak memberikan kata sandi, dan melaporkannya ke tim keamanan informasi",
          "menolak dan segera mengganti kata sandi",
          "meminta ia datang langsung ke kantor",
          "memberikan sebagian kata sandi untuk memastikan identitasnya",
          "memberikan kata sandi karena ia terdengar meyakinkan")),
    ],
    "Profesionalisme": [
        ("Atasan memberi Anda tugas mendesak menjelang jam pulang, sementara Anda sudah "
         "berjanji dengan keluarga. Sikap Anda ...",
         ("menyelesaikan tugas itu dan memberi kabar kepada keluarga",
          "menyelesaikan bagian terpenting lalu melanjutkannya besok pagi",
          "meminta keringanan waktu kepada atasan",
          "meminta rekan mengerjakannya",
          "menolak karena sudah jam pulang")),
        ("Anda menemukan kesalahan dalam laporan yang sudah Anda kirim ke {office}. "
         "Tindakan Anda ...",
         ("segera memperbaikinya dan memberi tahu penerima laporan",
          "memperbaikinya pada laporan berikutnya",
          "menunggu apakah ada yang menyadarinya",
          "meminta rekan diam-diam memperbaikinya",
          "membiarkannya karena laporan sudah terkirim")),
        ("{name}, rekan satu tim, sering terlambat menyerahkan bagiannya sehingga pekerjaan tim "
         "tertunda. Sikap Anda ...",
         ("membicarakannya baik-baik dan menawarkan bantuan mengatur jadwal",
          "mengingatkannya setiap mendekati tenggat",
          "melaporkannya kepada ketua tim",
          "mengerjakan bagiannya diam-diam",
          "menyindirnya di depan rekan lain")),
    ],
    "Anti Radikalisme": [
        ("Anda menemukan grup percakapan yang menyebarkan ajakan membenci pemerintah dan "
         "kelompok lain. Sikap Anda ...",
         ("keluar dari grup dan melaporkan konten itu melalui kanal resmi",
          "menegur anggota grup dengan memberi informasi yang benar",
          "keluar dari grup tanpa berkomentar",
          "tetap di grup untuk sekadar membaca",
          "ikut meneruskan ajakan itu")),
        ("Seorang kenalan di {city} mengajak {name} mengikuti pengajian tertutup yang "
         "mengajarkan bahwa Pancasila harus diganti. Saran Anda kepada {name} ...",
         ("menolak ajakan itu dan belajar agama dari guru yang jelas dan moderat",
          "mencari tahu latar belakang kelompok itu sebelum memutuskan",
          "menanyakannya kepada keluarga",
          "datang sekali untuk melihat-lihat",
          "ikut karena penasaran")),
        ("Di lingkungan {office}, ada pegawai yang menolak bekerja sama dengan rekan berbeda "
         "keyakinan. Sikap Anda ...",
         ("mengajaknya berdialog tentang pentingnya toleransi dan tugas pelayanan",
          "memberi contoh dengan bekerja sama baik dengan semua rekan",
          "melaporkannya kepada atasan",
          "membiarkannya karena itu urusan pribadinya",
          "mendukung sikapnya")),
    ],
}


def _make(topic: str) -> Callable[[random.Random, int], Draft]:
    def generate(rng: random.Random, level: int) -> Draft:
        situation, responses = rng.choice(SCENARIOS[topic])
        office, service = rng.choice(SERVICES)
        if "{service}" not in situation:
            office = rng.choice(INSTITUTIONS)
        fill = {"name": rng.choice(NAMES), "city": rng.choice(CITIES),
                "office": office, "service": service}
        graded = [(text.format(**fill), 5 - rank) for rank, text in enumerate(responses)]
        return Draft(situation.format(**fill), graded=graded)
    generate.__doc__ = f"A {topic} situation with five graded responses."
    return generate


GENERATORS: dict[str, Callable[[random.Random, int], Draft]] = {
    topic: _make(topic) for topic in SCENARIOS
}
