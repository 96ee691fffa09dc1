// Live update of "My dwellings": when staff decide a claim, reload the list over HTTP.
const section = document.getElementById("memberships");
if (section && "WebSocket" in window) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let delay = 1000;
  const connect = () => {
    const socket = new WebSocket(`${scheme}://${location.host}${section.dataset.liveUrl}`);
    socket.addEventListener("open", () => { delay = 1000; });
    socket.addEventListener("message", async (message) => {
      const event = JSON.parse(message.data);
      if (event.type !== "membership.changed") return;
      const response = await fetch(location.href, { credentials: "same-origin" });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("memberships");
      if (fresh) section.innerHTML = fresh.innerHTML;
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
}
