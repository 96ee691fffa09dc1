// A numbered live stream (docs/live-protocol.md): a meeting's room, a pact's page.
// It connects to `url?after=<seq>`, applies each numbered event once and in order, holds
// a frame that comes early for a moment in case the missing ones follow, and if the gap
// stays open asks for what it missed (`resync`: one at a time, at most one a second).
// When a resync fails or goes unanswered, or the connection drops, it reconnects with
// ?after=<seq> after a growing wait, or at once when the device comes back online (it
// drops the connection when the device says it went offline: such a socket is dead,
// though the browser may not notice for minutes). What the events mean is the caller's
// business.
//
//   const stream = openStream({
//     url: "/ws/pacts/7/", seq: 12,
//     onEvent(frame) {},          // a numbered event, in order, once
//     onCatchUp(frame) {},        // a snapshot or `resynced` ended a catch-up
//     onFrame(frame) {},          // any frame without a number (presence, ok, error…)
//     onStatus(status, code) {},  // "connecting" | "reconnecting" | "live" | "offline"
//   });
//   stream.send({type: "…"}); stream.live();

const HELD_AT_MOST = 500;
const GAP_WAIT = 1000;
const RESYNC_EVERY = 1000;
const RESYNC_TIMEOUT = 5000;
// Close codes after which reconnecting cannot help: not signed in, no such thing.
const FINAL = new Set([4401, 4403, 4404]);
const FLOOD = 4429;

export function openStream({ url, seq, onEvent, onCatchUp = () => {}, onFrame = () => {}, onStatus = () => {} }) {
  let socket = null;
  let retry = null; // the timer of the next attempt to connect
  let leaving = false; // the page is being left (or put in the back/forward cache)
  let connects = 0;
  let delay = 1000;
  const held = new Map();
  let highest = seq;
  let gapTimer = null;
  let resync = null; // {ref, timer}: never more than one in flight
  let resyncs = 0;
  let resyncSentAt = -Infinity;

  const live = () => socket !== null && socket.readyState === WebSocket.OPEN;
  const send = (message) => {
    if (live()) socket.send(JSON.stringify(message));
  };

  const apply = (frame) => {
    seq = frame.seq;
    onEvent(frame);
  };

  // Apply the held frames that now follow in order, drop those already applied, and
  // ask for the rest if a gap is still open.
  const drain = () => {
    for (const number of [...held.keys()]) if (number <= seq) held.delete(number);
    while (held.has(seq + 1)) {
      const frame = held.get(seq + 1);
      held.delete(seq + 1);
      apply(frame);
    }
    highest = Math.max(highest, seq, ...held.keys());
    if (highest <= seq) {
      clearTimeout(gapTimer);
      gapTimer = null;
    } else {
      awaitGap();
    }
  };

  const awaitGap = () => {
    if (gapTimer !== null || resync !== null) return;
    const wait = Math.max(GAP_WAIT, resyncSentAt + RESYNC_EVERY - Date.now());
    gapTimer = setTimeout(() => {
      gapTimer = null;
      if (highest > seq) requestResync();
    }, wait);
  };

  const requestResync = () => {
    if (!live() || resync !== null) return;
    const ref = `resync-${++resyncs}`;
    resync = { ref, timer: setTimeout(() => abandon(), RESYNC_TIMEOUT) };
    resyncSentAt = Date.now();
    send({ type: "resync", after: seq, ref });
  };

  const forgetSync = () => {
    held.clear();
    highest = seq;
    clearTimeout(gapTimer);
    gapTimer = null;
    if (resync !== null) clearTimeout(resync.timer);
    resync = null;
  };

  const caughtUp = (frame) => {
    if (resync !== null && (frame.ref == null || frame.ref === resync.ref)) {
      clearTimeout(resync.timer);
      resync = null;
    }
    delay = 1000;
    if (frame.type === "snapshot" && typeof frame.seq === "number") {
      // A fresh start: also when the page claimed a number the stream never gave (its
      // database was reset), which must not leave a gap open forever.
      seq = frame.seq;
      highest = seq;
    }
    if (frame.type === "resynced" && typeof frame.seq === "number") {
      // The replay came before this; a number above ours means something was dropped
      // on the way, and drain() asks again (not at once).
      highest = Math.max(highest, frame.seq);
    }
    onCatchUp(frame);
    drain();
  };

  const onMessage = (frame) => {
    if (typeof frame.seq === "number" && frame.type !== "snapshot" && frame.type !== "resynced") {
      if (frame.seq <= seq) return;
      if (frame.seq === seq + 1) apply(frame);
      else {
        highest = Math.max(highest, frame.seq);
        if (held.size < HELD_AT_MOST) held.set(frame.seq, frame);
      }
      drain();
      return;
    }
    if (frame.type === "snapshot" || frame.type === "resynced") {
      caughtUp(frame);
      return;
    }
    if (frame.type === "error" && resync !== null && frame.ref === resync.ref) {
      // The server could not answer the resync: start again with ?after=<seq>; if it
      // said this page sends too much (it then closes with 4429), later.
      abandon(frame.code === "flood" ? FLOOD : null);
      return;
    }
    onFrame(frame);
  };

  const lost = (code) => {
    socket = null;
    forgetSync();
    if (leaving) return; // the page is going: its socket closes with it
    if (FINAL.has(code)) {
      onStatus("offline", code);
      return;
    }
    if (code === FLOOD) delay = Math.max(delay, 10000);
    onStatus("reconnecting", code);
    retry = setTimeout(() => {
      retry = null;
      connect();
    }, delay + Math.random() * 500);
    delay = Math.min(delay * 2, 30000);
  };

  const abandon = (code = null) => {
    const old = socket;
    if (old === null) return;
    lost(code);
    old.close();
  };

  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    onStatus(connects++ === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(`${scheme}://${location.host}${url}?after=${seq}`);
    socket = ws;
    ws.addEventListener("open", () => {
      if (ws !== socket) return;
      forgetSync();
      onStatus("live");
    });
    ws.addEventListener("message", (message) => {
      // A connection given up may still deliver what was on its way: not used.
      if (ws !== socket) return;
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (frame && typeof frame === "object") onMessage(frame);
    });
    ws.addEventListener("close", (event) => {
      if (ws === socket) lost(event.code);
    });
  };

  window.addEventListener("pagehide", () => {
    leaving = true;
  });
  // Back from the back/forward cache: the socket was closed meanwhile; catch up.
  window.addEventListener("pageshow", (event) => {
    leaving = false;
    if (event.persisted && socket === null && retry === null) connect();
  });
  window.addEventListener("offline", () => abandon());
  window.addEventListener("online", () => {
    if (socket !== null || retry === null) return;
    clearTimeout(retry);
    retry = null;
    connect();
  });

  connect();
  return { send, live, seq: () => seq };
}
