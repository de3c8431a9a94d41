// One site's cameras as MJPEG images: each tile asks Django for a short-lived
// token (the request is authorised and logged there), then shows the video
// service's stream. A broken stream asks again after a pause.
const csrf = document.querySelector('meta[name="csrf-token"]').content;

async function connect(tile) {
  const img = tile.querySelector("img");
  const state = tile.querySelector("[data-state]");
  try {
    const response = await fetch(tile.dataset.cameraTokenUrl, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { url } = await response.json();
    img.onerror = () => { state.textContent = "⚠"; setTimeout(() => connect(tile), 5000); };
    img.onload = () => { state.textContent = ""; };
    img.src = url;
  } catch (err) {
    state.textContent = "⚠";
    setTimeout(() => connect(tile), 5000);
  }
}

for (const tile of document.querySelectorAll("[data-camera-token-url]")) connect(tile);
