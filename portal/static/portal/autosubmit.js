// Submit a form when one of its <select data-autosubmit> changes. A script
// file, not an inline onchange="…": production's Content Security Policy
// (script-src 'self') blocks inline handlers.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.submit());
}

// <button data-print> prints the page (same reason: no inline onclick).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
