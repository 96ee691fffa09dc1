// Live update of "My dwellings": when staff decide a claim, reload the list over HTTP.
// Events only say "something changed"; after a reconnect the list is reloaded as well,
// so a decision made while the socket was down is never missed.
const section = document.getElementById("memberships");

async function reload() {
  const response = await fetch(location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("memberships");
  if (fresh) section.innerHTML = fresh.innerHTML;
}

if (section && "WebSocket" in window) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let delay = 1000;
  let reconnecting = false;
  const connect = () => {
    const socket = new WebSocket(`${scheme}://${location.host}${section.dataset.liveUrl}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      if (reconnecting) reload();
    });
    socket.addEventListener("message", (message) => {
      if (JSON.parse(message.data).type === "membership.changed") reload();
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) return;
      reconnecting = true;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
}
