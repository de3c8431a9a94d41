// Second click of "two clicks": confirm the chosen preset.
for (const button of document.querySelectorAll("#storm-presets button[data-confirm]")) {
  button.addEventListener("click", (event) => {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
}
