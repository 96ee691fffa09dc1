// Live results of an open poll: on "poll.updated" refetch the results fragment over
// HTTP and swap it in, after a random pause of up to half a second, so that the phones
// of a whole meeting room do not all ask in the same millisecond (the server sends at
// most one update a second). Events may be lost (the channel layer is at-most-once), so
// a reconnect refetches too. Without JavaScript the page simply shows the figures as
// they were when it loaded.
const section = document.getElementById("poll-results");
const body = section && section.querySelector("[data-results-body]");
const status = section && section.querySelector("[data-live-status]");

if (section && body && section.dataset.liveUrl && "WebSocket" in window) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let delay = 1000;
  let fetching = false;
  let again = false;
  let connectedBefore = false;
  let pending = null;

  const refresh = async () => {
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      const response = await fetch(section.dataset.fragmentUrl, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (response.ok) {
        body.innerHTML = await response.text();
        if (status) status.dataset.updated = new Date().toISOString();
      }
    } catch (error) {
      // The next event or reconnect tries again.
    } finally {
      fetching = false;
      if (again) { again = false; refresh(); }
    }
  };

  // Updates that arrive during the pause are answered by the one fetch.
  const refreshSoon = () => {
    if (pending !== null) return;
    pending = setTimeout(() => { pending = null; refresh(); }, Math.random() * 500);
  };

  const connect = () => {
    const socket = new WebSocket(`${scheme}://${location.host}${section.dataset.liveUrl}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      if (connectedBefore) refresh();
      connectedBefore = true;
    });
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "poll.updated") refreshSoon();
    });
    socket.addEventListener("close", (event) => {
      // 4401: signed out; 4403: these results are not (or no longer) live for this person.
      if (event.code === 4401 || event.code === 4403) return;
      setTimeout(connect, delay + Math.random() * 500);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
}
