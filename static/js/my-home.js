// Live updates of the home page: when staff decide a claim, the list of dwellings is
// reloaded over HTTP; when a followed topic takes a step, the topics panel is. Events
// only say "something changed"; after a reconnect both are reloaded, so nothing that
// happened while the socket was down is missed.
const RELOADS = { "membership.changed": ["memberships"], "notification.new": ["topics-panel"] };
const ALL = ["memberships", "topics-panel"];
const section = document.getElementById("memberships");

async function reload(ids) {
  const response = await fetch(location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const id of ids) {
    const here = document.getElementById(id);
    const fresh = page.getElementById(id);
    if (here && fresh) here.innerHTML = fresh.innerHTML;
  }
}

if (section && "WebSocket" in window) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let delay = 1000;
  let reconnecting = false;
  const connect = () => {
    const socket = new WebSocket(`${scheme}://${location.host}${section.dataset.liveUrl}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      if (reconnecting) reload(ALL);
    });
    socket.addEventListener("message", (message) => {
      const ids = RELOADS[JSON.parse(message.data).type];
      if (ids) reload(ids);
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
