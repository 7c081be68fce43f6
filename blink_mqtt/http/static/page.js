// blink-mqtt page: keeps the bridge state and download progress fresh while open.
// Everything works without this script (forms post and redirect back).
"use strict";
(function () {
  document.documentElement.dataset.script = "running";  // (the tests check it is off)
  const auth = document.getElementById("auth-state");
  const shownState = auth ? auth.dataset.state : null;
  async function refresh() {
    try {
      const answer = await fetch("ui/status.json", { cache: "no-store" });
      if (!answer.ok) return;
      const s = await answer.json();
      if (s.auth !== shownState) { location.reload(); return; }  // forms change with it
      document.getElementById("mqtt-state").textContent = s.mqtt;
      document.getElementById("auth-message").textContent = s.auth_message;
      document.getElementById("blink-requests").textContent = s.blink_requests;
      document.getElementById("download-list").innerHTML = s.downloads_html;  // escaped by the server
    } catch (err) { /* the bridge restarts: try again later */ }
  }
  setInterval(refresh, 3000);
  const download = document.getElementById("download");
  if (download) {
    download.addEventListener("submit", async (event) => {  // run it while the page shows progress
      event.preventDefault();
      const button = download.querySelector("button");
      button.disabled = true;
      const poll = setInterval(refresh, 700);
      try {
        const answer = await fetch(download.action, { method: "POST", body: new FormData(download) });
        location.assign(answer.url);
      } finally {
        clearInterval(poll);
        button.disabled = false;
      }
    });
  }
})();
