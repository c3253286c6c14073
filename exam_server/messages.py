"""Candidate-facing error messages, Indonesian by default and English on request.

A small table until the candidate page brings Flask-Babel; the codes are the protocol's.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "bad_request": {
        "id": "Permintaan tidak valid: {detail}",
        "en": "Invalid request: {detail}"},
    "bad_credentials": {
        "id": "Nomor peserta atau PIN salah.",
        "en": "Wrong participant number or PIN."},
    "bad_token": {
        "id": "Token sesi salah atau sudah kedaluwarsa. Lihat token di layar ruangan.",
        "en": "Wrong or expired session token. See the token on the room's screen."},
    "locked": {
        "id": "Akun terkunci setelah lima kali PIN salah. Hubungi pengawas.",
        "en": "Locked after five wrong PINs. Ask the proctor to unlock it."},
    "session_not_running": {
        "id": "Sesi ujian belum dimulai atau sudah ditutup.",
        "en": "The exam session has not started or is already closed."},
    "finished": {
        "id": "Ujian Anda sudah selesai.",
        "en": "Your exam is already finished."},
    "already_logged_in": {
        "id": "Peserta ini sedang masuk di komputer lain. Hubungi pengawas.",
        "en": "This participant is logged in at another workstation. Ask the proctor."},
    "storage_unavailable": {
        "id": "Server sedang bermasalah. Coba lagi sebentar lagi.",
        "en": "The server has a problem. Try again in a moment."},
}
LANGUAGES = ("id", "en")


def message(code: str, language: str, detail: str = "") -> str:
    """The message for an error code in ``language`` (``id`` or ``en``)."""
    texts = MESSAGES.get(code, {"id": code, "en": code})
    return texts.get(language, texts["id"]).format(detail=detail)
