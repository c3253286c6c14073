// Integrity alerts for the proctor (logged by the server, never blocking the candidate):
// the window losing focus, the page being hidden, leaving full screen, copy and paste.

export function watchIntegrity(report) {
  let wasFullscreen = Boolean(document.fullscreenElement);
  window.addEventListener("blur", () => report("blur"));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") report("visibility");
  });
  document.addEventListener("fullscreenchange", () => {
    const now = Boolean(document.fullscreenElement);
    if (wasFullscreen && !now) report("fullscreen_exit");
    wasFullscreen = now;
  });
  document.addEventListener("copy", () => report("copy"));
  document.addEventListener("paste", () => report("paste"));
}
