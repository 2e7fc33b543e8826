// The phone simulator: post its forms in the background and show each change as it arrives.
"use strict";
(() => {
  const phone = document.querySelector(".phone");
  if (!phone) return;
  const screen = document.getElementById("screen");
  const id = phone.dataset.phone;
  let version = Number(phone.dataset.version);

  const scrollDown = () => {
    const list = screen.querySelector(".screen");
    if (list) list.scrollTop = list.scrollHeight;
  };

  phone.addEventListener("submit", async (event) => {
    const form = event.target;
    event.preventDefault();
    const body = new FormData(form);
    if (event.submitter && event.submitter.name) body.set(event.submitter.name, event.submitter.value);
    const text = form.querySelector("input[name=text]");
    if (text) text.value = "";
    await fetch(form.action, { method: "POST", body, headers: { "X-Requested-With": "simulator" } });
  });

  async function follow() {
    for (;;) {
      let response;
      try {
        response = await fetch(`/simulator/phones/${id}/screen?since=${version}`);
      } catch {
        await new Promise((done) => setTimeout(done, 2000));
        continue;
      }
      if (response.status === 200) {
        screen.innerHTML = await response.text();
        version = Number(response.headers.get("x-phone-version")) || version + 1;
        phone.dataset.version = String(version);
        scrollDown();
      } else if (response.status !== 204) {
        await new Promise((done) => setTimeout(done, 2000));
      }
    }
  }
  scrollDown();
  follow();
})();
