// Main courante: keyboard-first quick entry. No inline scripts (CSP script-src 'self').
//  Alt+N            focus the message of a new entry
//  Ctrl/Cmd+Enter   submit the form being typed in ([data-ctrl-enter])
//  Alt+1..7         choose the category
//  picker           type a code or name, ↓/↑ to move, Enter to choose, Esc to clear

const $ = (sel, root = document) => root.querySelector(sel);

document.addEventListener("keydown", (event) => {
  if (event.altKey && !event.ctrlKey && (event.key === "n" || event.key === "N")) {
    const message = $("#lb-message");
    if (message) { event.preventDefault(); message.focus(); }
  }
  if (event.altKey && /^[1-9]$/.test(event.key)) {
    const select = $("#lb-category");
    const index = Number(event.key) - 1;
    if (select && index < select.options.length) { event.preventDefault(); select.selectedIndex = index; }
  }
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
    const form = event.target.closest && event.target.closest("form[data-ctrl-enter]");
    if (form) { event.preventDefault(); form.requestSubmit(); }
  }
});

function setRef(form, ref) {
  const set = (name, value) => { const input = form.querySelector(`[name="${name}"]`); if (input) input.value = value; };
  if (!ref) { ["site_id", "site_label", "customer_id", "customer_label"].forEach((n) => set(n, "")); return; }
  if (ref.kind === "site") {
    set("site_id", ref.id); set("site_label", ref.label);
    set("customer_id", ref.customerId || ""); set("customer_label", ref.customerLabel || "");
  } else {
    set("site_id", ""); set("site_label", ""); set("customer_id", ref.id); set("customer_label", ref.label);
  }
}

function bindPicker(root) {
  const input = $("#lb-lookup", root);
  const list = $("#lb-lookup-results", root);
  if (!input || !list || input.dataset.bound) return;
  input.dataset.bound = "1";
  const form = input.closest("form");
  const url = input.dataset.lookupUrl;
  let timer = null;
  let selected = -1;
  const options = () => [...list.querySelectorAll("li[data-id]")];
  const highlight = (i) => { options().forEach((li, n) => li.classList.toggle("sel", n === i)); selected = i; };
  const choose = (li) => {
    setRef(form, { kind: li.dataset.kind, id: li.dataset.id, label: li.dataset.label,
                   customerId: li.dataset.customerId, customerLabel: li.dataset.customerLabel });
    input.value = li.dataset.label;
    list.hidden = true;
    $("#lb-message", form)?.focus();
  };
  if (!url) { input.disabled = true; input.placeholder = input.placeholder + " (—)"; return; }
  input.addEventListener("input", () => {
    setRef(form, null);  // typed text is not a reference until one is chosen
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { list.hidden = true; return; }
    timer = setTimeout(async () => {
      const response = await fetch(`${url}?q=${encodeURIComponent(q)}`, { headers: { "HX-Request": "true" } });
      if (!response.ok) return;
      list.innerHTML = await response.text();
      list.hidden = false;
      highlight(options().length ? 0 : -1);
    }, 150);
  });
  input.addEventListener("keydown", (event) => {
    const items = options();
    if (event.key === "ArrowDown" && items.length) { event.preventDefault(); highlight(Math.min(selected + 1, items.length - 1)); }
    else if (event.key === "ArrowUp" && items.length) { event.preventDefault(); highlight(Math.max(selected - 1, 0)); }
    else if (event.key === "Enter" && !list.hidden && selected >= 0 && items[selected]) { event.preventDefault(); choose(items[selected]); }
    else if (event.key === "Escape") { list.hidden = true; input.value = ""; setRef(form, null); }
  });
  list.addEventListener("mousedown", (event) => {
    const li = event.target.closest("li[data-id]");
    if (li) { event.preventDefault(); choose(li); }
  });
  input.addEventListener("blur", () => setTimeout(() => { list.hidden = true; }, 150));
}

bindPicker(document);
// The quick form is replaced by htmx after each save: bind the new one, keep typing.
let refocus = false;
document.body.addEventListener("htmx:beforeRequest", (event) => {
  refocus = event.detail.elt && event.detail.elt.id === "lb-entry-form";
});
document.body.addEventListener("htmx:afterSettle", () => {
  bindPicker(document);
  if (refocus) { refocus = false; $("#lb-message")?.focus(); }
});
