"""The candidate page ``/ujian``: one server-rendered page and plain ES modules.

Everything the candidate reads is translatable (Flask-Babel): the source strings are
Indonesian, the default; ``exam_server/translations/en`` holds the English catalogue. The
language comes from ``?lang=id|en`` (the page's switch, which also sets a cookie so the choice
is remembered), else that cookie, else Indonesian. The browser's own ``Accept-Language`` is
deliberately not consulted: test-site workstations are often set up in English, and the exam
must open in Indonesian unless the candidate switches.

The page talks to the server only through the candidate protocol (``docs/protocol.md``):
``POST /api/exam/login`` and the Socket.IO namespace ``/exam``. The texts its modules need
at run time travel in the page as the ``data-strings`` attribute (JSON), so no inline script
is needed and the strict Content-Security-Policy of ``exam_server.security_headers`` holds.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_babel import Babel, LazyString
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

bp = Blueprint("ujian", __name__, url_prefix="/ujian")

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LANGUAGE_COOKIE = "seleksi_lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# Texts the page's modules show at run time, by key. ``{name}`` fields are filled in JS.
STRINGS: dict[str, LazyString] = {
    "conn_online": _l("Tersambung"),
    "conn_connecting": _l("Menyambungkan…"),
    "conn_offline": _l("Terputus — jawaban disimpan di komputer ini dan dikirim saat "
                       "tersambung lagi"),
    "save_saved": _l("Jawaban tersimpan di server"),
    "save_pending": _l("Menunggu tersimpan — belum diterima server"),
    "save_empty": _l("Belum dijawab"),
    "question_of": _l("Soal {no} dari {total}"),
    "nav_name": _l("Soal {no}"),
    "nav_answered": _l("dijawab"),
    "nav_flagged": _l("ragu-ragu"),
    "nav_empty": _l("belum dijawab"),
    "nav_pending": _l("menunggu tersimpan"),
    "nav_current": _l("soal ini"),
    "option_group": _l("Pilihan jawaban soal {no}"),
    "finish_unanswered": _l("Belum dijawab ({n}): soal {list}"),
    "finish_flagged": _l("Ragu-ragu ({n}): soal {list}"),
    "finish_all_answered": _l("Semua soal sudah dijawab dan tidak ada yang ragu-ragu."),
    "finish_pending": _l("{n} jawaban belum tersimpan di server. Tunggu sampai tersambung "
                         "lagi, lalu selesaikan."),
    "finish_waiting": _l("Menyimpan jawaban terakhir…"),
    "finish_offline": _l("Tidak tersambung ke server. Ujian belum selesai; coba lagi saat "
                         "tersambung."),
    "time_over": _l("Waktu habis"),
    "paused": _l("Ujian dijeda oleh pengawas. Waktu tidak berjalan selama jeda."),
    "reason_deadline": _l("Waktu habis: server telah menyelesaikan ujian Anda."),
    "reason_proctor": _l("Pengawas telah menyelesaikan ujian Anda."),
    "reason_candidate": _l("Anda telah menyelesaikan ujian."),
    "passed": _l("Memenuhi nilai ambang batas"),
    "failed": _l("Tidak memenuhi nilai ambang batas"),
    "of_max": _l("{total} dari {max}"),
    "rule_general": _l("Ketentuan umum"),
    "rule_special": _l("Ketentuan khusus ({categories})"),
    "rule_met": _l("terpenuhi"),
    "rule_not_met": _l("tidak terpenuhi"),
    "check_met": _l("{measure} {value} ≥ {minimum}: terpenuhi"),
    "check_not_met": _l("{measure} {value} < {minimum}: tidak terpenuhi"),
    "measure_total": _l("Total"),
    "ranked_only": _l("Tanpa nilai ambang batas: hasil diperingkat."),
    "image_missing": _l("[gambar tidak dapat dimuat: {alt}]"),
    "err_network": _l("Server tidak dapat dihubungi. Periksa kabel jaringan, lalu coba lagi."),
    "err_bad_token": _l("Login Anda tidak berlaku lagi (mungkin Anda masuk di komputer lain). "
                        "Silakan masuk lagi."),
    "err_session_not_running": _l("Sesi ujian belum dimulai atau sudah ditutup. "
                                  "Hubungi pengawas."),
    "err_time_over": _l("Waktu habis: jawaban ini tidak diterima."),
    "err_finished": _l("Ujian Anda sudah selesai."),
    "err_not_started": _l("Ujian belum dimulai."),
    "err_storage_unavailable": _l("Server sedang bermasalah; jawaban dikirim ulang otomatis."),
    "err_refused": _l("Server menolak permintaan ({code}). Hubungi pengawas."),
    "err_login_fields": _l("Isi Nomor Peserta, PIN dan Token."),
    "large_on": _l("Teks besar: aktif"),
    "large_off": _l("Teks besar: tidak aktif"),
    "receipt_waiting": _l("Menunggu tanda terima dari log hasil…"),
    "receipt_logged": _l("Hasil Anda tercatat di log hasil publik sebagai entri nomor "
                         "{index}."),
    "receipt_unavailable": _l("Tanda terima belum dapat diambil. Hasil Anda tetap tersimpan "
                              "dan dicatat di log hasil publik; pengawas dapat membantu."),
}


def page_language() -> str:
    """The page's language: ``?lang=``, else the remembered choice, else Indonesian."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    for asked in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if asked in LANGUAGES:
            return str(asked)
    return DEFAULT_LANGUAGE


def _secured(response: Response) -> Response:
    """Never cached (the headers every response has: ``exam_server.security_headers``)."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def page() -> Response:
    """The candidate page; ``?lang=id|en`` switches the language and remembers it."""
    asked = request.args.get("lang")
    if asked is not None:
        response = redirect(request.path, code=303)
        if asked in LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, asked, max_age=LANGUAGE_COOKIE_AGE,
                                samesite="Strict", httponly=True)
        return _secured(response)
    language = page_language()
    strings = {key: str(text) for key, text in STRINGS.items()}
    html = render_template("ujian/page.html", lang=language, strings=strings,
                           other_language="en" if language == "id" else "id")
    return _secured(make_response(html))


def init_app(app: Flask) -> None:
    """Register ``/ujian`` and Flask-Babel (Indonesian default) on ``app``."""
    from exam_server import media_route

    Babel().init_app(app, default_locale=DEFAULT_LANGUAGE, locale_selector=page_language)
    app.register_blueprint(bp)
    media_route.init_app(app)
