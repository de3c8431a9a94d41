// Shows the urgency the server will compute (alarms/services/phone.py), as the operator answers.
const table = JSON.parse(document.getElementById("urgency-table").textContent);
const form = document.getElementById("phone-form");
const out = document.getElementById("urgency-value");

function update() {
  const seen = form.querySelector("input[name=seen]:checked")?.value;
  const danger = form.querySelector("input[name=danger]")?.checked;
  if (!seen) { out.textContent = "—"; return; }
  const priority = danger ? 1 : table[seen];
  out.textContent = priority ? `P${priority}` : out.dataset.advice;
}
form.addEventListener("change", update);
update();
