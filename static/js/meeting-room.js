// The live room of a meeting (docs/live-protocol.md). The page is rendered by the
// server and works without this script: every action is a plain form. This module
// connects to /ws/meetings/<pk>/, keeps the room's event number (`seq`) and applies each
// numbered event once and in order. A frame that comes early is held for a moment in
// case the missing ones follow; if the gap stays open the module asks for what it missed
// (`resync`: one at a time, at most one a second), and when that fails or goes
// unanswered it reconnects with ?after=<seq>, as after losing the connection. While
// connected, the room's forms are sent over the socket instead of being posted. Lists
// are re-rendered from the <template> elements the server rendered with the same markup;
// what people wrote is set with textContent only.
const root = document.getElementById("room");

if (root && root.dataset.wsUrl && "WebSocket" in window) {
  startRoom(root);
}

function startRoom(root) {
  const $ = (id) => document.getElementById(id);
  const strings = JSON.parse($("room-strings").textContent);
  const initial = JSON.parse($("room-initial").textContent);
  const you = initial.you.user;
  // Fields whose value the protocol wants as a number.
  const NUMBERS = new Set(["item", "request", "comment"]);
  // Forms whose text goes once sent.
  const CLEARED = new Set(["comment.post", "comment.hide"]);

  let seq = initial.seq;
  let currentItem = initial.current_item;
  // The poll of each agenda item: the poll area is fetched again only when the item
  // under discussion has (or had) one, not by every phone on every step of the chair.
  let pollOf = new Map((initial.agenda || []).map((item) => [item.id, item.poll]));
  const currentPoll = () => pollOf.get(currentItem) || null;
  let speakers = initial.speakers;
  let lastFloor = speakers.floor ? speakers.floor.request : null;
  let socket = null;
  let connects = 0;
  let delay = 1000;
  let refs = 0;
  const pending = new Map();
  // Server clock minus this device's clock, in ms. The server's "now" (in the page, the
  // snapshot and `resynced`) gives it when it arrives; without one, the "at" of the
  // events estimates it: the freshest event gives the largest value (a replayed one is
  // older).
  let offset = null;
  let offsetFromServer = false;
  const serverNow = (now) => {
    const parsed = typeof now === "string" ? Date.parse(now) : NaN;
    if (Number.isNaN(parsed)) return;
    offset = parsed - Date.now();
    offsetFromServer = true;
  };
  const eventAt = (at) => {
    if (offsetFromServer || typeof at !== "string") return;
    const observed = Date.parse(at) - Date.now();
    if (!Number.isNaN(observed)) offset = offset === null ? observed : Math.max(offset, observed);
  };
  serverNow(initial.now);

  const format = (text, values) =>
    text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));

  const clock = (seconds) => {
    const sign = seconds < 0 ? "-" : "";
    const whole = Math.abs(Math.trunc(seconds));
    return `${sign}${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  };

  let timeFormat;
  try {
    timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      hour: "2-digit", minute: "2-digit", hour12: false, timeZone: root.dataset.timeZone || undefined,
    });
  } catch (error) {
    timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hour12: false });
  }
  const timeText = (iso) => (iso ? timeFormat.format(new Date(iso)) : "");

  // ------------------------------------------------------------------ status and errors

  const setStatus = (text) => { $("room-status").textContent = text; };

  const announce = (text) => {
    const region = $("room-announce");
    region.textContent = "";
    // A fresh text node after a tick, so screen readers read the same words again too.
    setTimeout(() => { region.textContent = text; }, 50);
  };

  const showError = (text) => {
    const box = $("room-errors");
    box.textContent = text;
    box.hidden = false;
  };

  const clearError = () => {
    const box = $("room-errors");
    box.textContent = "";
    box.hidden = true;
  };

  // ------------------------------------------------------------------ rendering

  const clone = (id) => $(id).content.firstElementChild.cloneNode(true);

  // Fill a cloned template: text into [data-slot], flags into [data-show], values into
  // [data-field] inputs, and the element ids and label targets that carry the key.
  const fill = (node, values, key) => {
    for (const el of node.querySelectorAll("[data-slot]")) el.textContent = values[el.dataset.slot] ?? "";
    for (const el of node.querySelectorAll("[data-show]")) el.hidden = !values[el.dataset.show];
    for (const el of node.querySelectorAll("[data-field]")) el.value = values[el.dataset.field] ?? "";
    for (const el of node.querySelectorAll("[data-id]")) el.id = `${el.dataset.id}-${key}`;
    for (const el of node.querySelectorAll("[data-for]")) el.htmlFor = `${el.dataset.for}-${key}`;
    return node;
  };

  const commentNode = (comment) => {
    let node;
    if (comment.hidden) {
      node = fill(clone("tpl-comment-hidden"), { reason: comment.reason }, comment.id);
    } else {
      node = fill(clone("tpl-comment"), { ...comment, at: timeText(comment.at) }, comment.id);
      const time = node.querySelector("time");
      if (time) time.dateTime = comment.at || "";
    }
    node.id = `room-comment-${comment.id}`;
    node.dataset.comment = comment.id;
    return node;
  };

  const renderComments = (comments) => {
    $("room-comments").replaceChildren(...comments.map(commentNode));
    $("room-comments-empty").hidden = comments.length > 0;
  };

  const addComment = (comment) => {
    const node = commentNode(comment);
    const there = $(`room-comment-${comment.id}`);
    if (there) {
      there.replaceWith(node);
      return;
    }
    $("room-comments").append(node);
    $("room-comments-empty").hidden = true;
    if (!comment.hidden) announce(format(strings.newComment, { name: comment.author }));
  };

  const hideComment = (id, reason) => {
    const there = $(`room-comment-${id}`);
    if (there) there.replaceWith(commentNode({ id, hidden: true, reason }));
  };

  const handState = () => {
    if (speakers.floor && speakers.floor.user === you) return "speaking";
    if (speakers.queue.some((waiting) => waiting.user === you)) return "waiting";
    return "none";
  };

  // Which forms and notes show: by the meeting's state, the person's hand, the floor.
  const refreshControls = () => {
    const state = root.dataset.state;
    const hand = handState();
    const floor = speakers.floor ? "yes" : "no";
    for (const el of root.querySelectorAll("[data-show-in], [data-hand], [data-floor]")) {
      let show = true;
      if (el.dataset.showIn) show = show && el.dataset.showIn.split(" ").includes(state);
      if (el.dataset.hand) show = show && el.dataset.hand === hand;
      if (el.dataset.floor) show = show && el.dataset.floor === floor;
      el.hidden = !show;
    }
  };

  const tick = () => {
    const countdown = $("room-countdown");
    const floor = speakers.floor;
    if (!countdown || !floor || !floor.began_at) return;
    const now = Date.now() + (offset ?? 0);
    const left = Math.round(floor.seconds - (now - Date.parse(floor.began_at)) / 1000);
    countdown.textContent = clock(left);
    countdown.classList.toggle("overtime", left < 0);
  };

  const renderSpeakers = (data) => {
    speakers = { floor: data.floor, queue: data.queue || [] };
    const floor = speakers.floor;
    let floorNode;
    if (floor) {
      floorNode = fill(clone("tpl-floor"), { ...floor, limit: clock(floor.seconds) }, floor.request);
      floorNode.dataset.request = floor.request;
    } else {
      floorNode = clone("tpl-floor-free");
    }
    $("room-floor").replaceChildren(floorNode);
    $("room-queue").replaceChildren(
      ...speakers.queue.map((waiting) => {
        const node = fill(clone("tpl-speaker"), waiting, waiting.request);
        node.dataset.request = waiting.request;
        return node;
      }),
    );
    $("room-queue-empty").hidden = speakers.queue.length > 0;
    const now = floor ? floor.request : null;
    if (now !== lastFloor) announce(floor ? format(strings.hasFloor, { name: floor.name }) : strings.floorFree);
    lastFloor = now;
    refreshControls();
    tick();
  };

  const renderState = (state, label) => {
    root.dataset.state = state;
    const badge = $("room-state");
    badge.textContent = label;
    badge.dataset.state = state;
    badge.className = `badge badge-state-${state}`;
    refreshControls();
  };

  const renderAgenda = (agenda) => {
    pollOf = new Map(agenda.map((item) => [item.id, item.poll]));
    $("room-agenda").replaceChildren(
      ...agenda.map((item) => {
        const node = fill(clone("tpl-agenda-item"), item, item.id);
        node.dataset.item = item.id;
        return node;
      }),
    );
    $("room-agenda-empty").hidden = agenda.length > 0;
    const select = $("chair-go-item");
    if (select) {
      select.replaceChildren(...agenda.map((item, index) => new Option(`${index + 1}. ${item.title}`, item.id)));
    }
    const current = agenda.find((item) => item.id === currentItem);
    markCurrent(currentItem, current ? current.title : "");
  };

  const markCurrent = (item, title) => {
    currentItem = item;
    for (const li of root.querySelectorAll("#room-agenda [data-item]")) {
      const current = Number(li.dataset.item) === item;
      li.classList.toggle("current", current);
      if (current) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
    $("room-current-item").textContent = title || "—";
    const select = $("chair-go-item");
    if (select && item) select.value = String(item);
  };

  const renderAttendance = (counts) => {
    $("room-attendance-online").textContent = counts.online;
    $("room-attendance-onsite").textContent = counts.onsite;
  };

  const renderPresence = (presence) => {
    $("room-presence-total").textContent = presence.total;
    $("room-presence-participants").textContent = presence.participants;
    $("room-presence-buildings").replaceChildren(
      ...presence.buildings.map((row) =>
        fill(clone("tpl-building"), { building: row.building || strings.noBuilding, count: row.count }, ""),
      ),
    );
  };

  const renderWho = (buildings) => {
    const list = $("room-who-list");
    if (!list) return;
    list.replaceChildren(
      ...buildings.map((row) =>
        fill(clone("tpl-who"), { building: row.building || strings.noBuilding, names: row.names.join("、") }, ""),
      ),
    );
    if (!buildings.length) {
      const empty = document.createElement("li");
      empty.textContent = strings.nobodyHere;
      list.append(empty);
    }
    list.hidden = false;
  };

  // ------------------------------------------------------------------ the vote

  const parse = (html) => new DOMParser().parseFromString(html, "text/html");

  // Results are fetched at most every few seconds, spread at random, so that a room
  // voting does not make every phone ask at once; someone refused them (not on the
  // roll, results hidden) stops asking until the poll opens or closes.
  const RESULTS_EVERY = 3000;
  let resultsPending = null;
  let resultsAt = 0;
  let resultsRefused = null;
  const refreshResults = () => {
    if (resultsPending !== null || (resultsRefused && resultsRefused === currentPoll())) return;
    const wait = Math.max(0, resultsAt + RESULTS_EVERY - Date.now()) + Math.random() * 1000;
    resultsPending = setTimeout(async () => {
      resultsPending = null;
      resultsAt = Date.now();
      const area = $("room-poll-results");
      if (!area || !area.dataset.fragmentUrl) return;
      try {
        const response = await fetch(area.dataset.fragmentUrl, {
          credentials: "same-origin", headers: { Accept: "text/html" },
        });
        // 403 or 404: these results are not shown to this person (yet).
        if (!response.ok) {
          resultsRefused = currentPoll();
          return;
        }
        area.replaceChildren(...parse(await response.text()).body.childNodes);
      } catch (error) {
        // The next update tries again.
      }
    }, wait);
  };

  let pollFetching = false;
  let pollAgain = false;
  const refreshPoll = async () => {
    if (pollFetching) { pollAgain = true; return; }
    pollFetching = true;
    try {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 500));
      const response = await fetch(location.pathname, {
        credentials: "same-origin", headers: { Accept: "text/html" },
      });
      if (response.ok) {
        const fresh = parse(await response.text()).getElementById("room-poll");
        const here = $("room-poll");
        if (fresh && here) {
          here.replaceWith(document.importNode(fresh, true));
          refreshControls();
          refreshResults();
        }
      }
    } catch (error) {
      // The next event or reconnect tries again.
    } finally {
      pollFetching = false;
      if (pollAgain) { pollAgain = false; refreshPoll(); }
    }
  };

  // ------------------------------------------------------------------ events

  const applySnapshot = (snapshot) => {
    const before = currentPoll();
    seq = snapshot.seq;
    highest = seq;
    renderState(snapshot.meeting.state, snapshot.meeting.state_label);
    currentItem = snapshot.current_item;
    renderAgenda(snapshot.agenda);
    renderSpeakers(snapshot.speakers);
    renderComments(snapshot.comments);
    renderAttendance(snapshot.attendance);
    renderPresence(snapshot.presence);
    if (before || currentPoll()) refreshPoll();
  };

  const SEQUENCED = {
    "meeting.state": (frame) => {
      renderState(frame.state, frame.state_label);
      announce(format(strings.stateNow, { state: frame.state_label }));
    },
    "agenda.current": (frame) => {
      const before = currentPoll();
      markCurrent(frame.item, frame.title);
      announce(format(strings.itemNow, { title: frame.title }));
      if (before || currentPoll()) refreshPoll();
    },
    agenda: (frame) => {
      const before = currentPoll();
      renderAgenda(frame.agenda);
      if (before !== currentPoll()) refreshPoll();
    },
    "comment.posted": (frame) => addComment(frame.comment),
    "comment.hidden": (frame) => hideComment(frame.comment, frame.reason),
    speakers: (frame) => renderSpeakers(frame),
    "poll.opened": (frame) => {
      announce(format(strings.pollOpened, { title: frame.title }));
      resultsRefused = null;
      refreshPoll();
    },
    "poll.closed": () => {
      announce(strings.pollClosed);
      resultsRefused = null;
      refreshPoll();
    },
    attendance: (frame) => renderAttendance(frame),
  };

  const live = () => socket !== null && socket.readyState === WebSocket.OPEN;
  const send = (message) => { if (live()) socket.send(JSON.stringify(message)); };

  // Numbered events that came early (more than one ahead of `seq`), by number, until
  // the ones before them arrive or a resync answers. Bounded: what is left out is in
  // the answer to the resync anyway.
  const HELD_AT_MOST = 500;
  const held = new Map();
  // The highest number this page has heard of; behind while it is above `seq`.
  let highest = seq;
  // How long a gap may stay open before a resync, the least time between two
  // resyncs, and how long to wait for the answer before reconnecting.
  const GAP_WAIT = 1000;
  const RESYNC_EVERY = 1000;
  const RESYNC_TIMEOUT = 5000;
  let gapTimer = null;
  // The resync in flight ({ref, timer}), never more than one.
  let resync = null;
  let resyncs = 0;
  let resyncSentAt = -Infinity;

  const apply = (frame) => {
    eventAt(frame.at);
    seq = frame.seq;
    const handle = SEQUENCED[frame.type];
    if (handle) handle(frame);
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

  // A gap is open: wait for the missing events (the channel layer may deliver events
  // out of order), then send one resync, unless one is already in flight.
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

  // The end of a catch-up (a snapshot or `resynced`): the resync in flight, if any,
  // is answered (the server may name it by its ref; the catch-up on connecting has
  // none), and this connection is known to work.
  const caughtUp = (frame) => {
    if (resync !== null && (frame.ref == null || frame.ref === resync.ref)) {
      clearTimeout(resync.timer);
      resync = null;
    }
    delay = 1000;
    serverNow(frame.now);
    tick();
  };

  const forgetSync = () => {
    held.clear();
    highest = seq;
    clearTimeout(gapTimer);
    gapTimer = null;
    if (resync !== null) clearTimeout(resync.timer);
    resync = null;
  };

  const applySequenced = (frame) => {
    if (frame.seq <= seq) return;
    if (frame.seq === seq + 1) {
      apply(frame);
    } else {
      highest = Math.max(highest, frame.seq);
      if (held.size < HELD_AT_MOST) held.set(frame.seq, frame);
    }
    drain();
  };

  const settle = (ref) => {
    const form = pending.get(ref);
    pending.delete(ref);
    if (form) {
      form.removeAttribute("aria-busy");
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
    return form;
  };

  const onMessage = (frame) => {
    if (typeof frame.seq === "number" && frame.type !== "snapshot" && frame.type !== "resynced") {
      applySequenced(frame);
      return;
    }
    switch (frame.type) {
      case "snapshot":
        caughtUp(frame);
        applySnapshot(frame);
        drain();
        break;
      case "resynced":
        caughtUp(frame);
        // The replay came before this; a number above this page's means something was
        // dropped on the way, and drain() asks again (not at once).
        if (typeof frame.seq === "number") highest = Math.max(highest, frame.seq);
        drain();
        break;
      case "presence":
        renderPresence(frame);
        break;
      case "poll.updated":
        refreshResults();
        break;
      case "presence.who":
        settle(frame.ref);
        renderWho(frame.buildings || []);
        break;
      case "ok": {
        const form = settle(frame.ref);
        if (form && CLEARED.has(form.dataset.type)) {
          form.reset();
          const details = form.closest("details");
          if (details) details.open = false;
        }
        if (frame.for === "vote") {
          const receipt = $("room-vote-receipt");
          receipt.textContent = frame.changed ? strings.votedChanged : strings.voted;
          if (frame.receipt) receipt.textContent += ` ${format(strings.receipt, { code: frame.receipt })}`;
          receipt.hidden = false;
          refreshPoll();
        }
        break;
      }
      case "error":
        if (resync !== null && frame.ref === resync.ref) {
          // The server could not answer the resync: start again with ?after=<seq>; if
          // it said this page sends too much (it then closes with 4429), later.
          abandon(frame.code === "flood" ? 4429 : null);
          break;
        }
        settle(frame.ref);
        showError(frame.message);
        break;
      default:
        break;
    }
  };

  // ------------------------------------------------------------------ forms over the socket

  const messageOf = (form) => {
    const message = { type: form.dataset.type };
    if (message.type === "vote") {
      message.choices = {};
      for (const el of form.elements) {
        const question = /^q(\d+)$/.exec(el.name);
        if (question && el.checked) message.choices[question[1]] = Number(el.value);
      }
      return message;
    }
    for (const el of form.elements) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.name === "action") continue;
      if (el.type === "checkbox") message[el.name] = el.checked;
      else if (NUMBERS.has(el.name)) { if (el.value !== "") message[el.name] = Number(el.value); }
      else message[el.name] = el.value;
    }
    return message;
  };

  root.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-type]");
    // Not connected: the form is posted as usual, and the page reloads.
    if (!form || !live()) return;
    event.preventDefault();
    clearError();
    const ref = `f${++refs}`;
    pending.set(ref, form);
    form.setAttribute("aria-busy", "true");
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    send({ ...messageOf(form), ref });
  });

  const who = $("room-who");
  if (who) {
    who.addEventListener("click", () => {
      if (!live()) return;
      clearError();
      send({ type: "presence.who", ref: `w${++refs}` });
    });
  }

  // ------------------------------------------------------------------ the connection

  // The connection is gone (or given up): forms are posted again until the next one.
  const lost = (code) => {
    socket = null;
    forgetSync();
    for (const ref of [...pending.keys()]) settle(ref);
    if (who) who.hidden = true;
    // 4401: signed out; 4404: no such meeting. The page still works by reloading.
    if (code === 4401 || code === 4404) {
      setStatus(strings.offline);
      return;
    }
    // 4429: this page sent too much; wait longer before coming back.
    if (code === 4429) delay = Math.max(delay, 10000);
    setStatus(strings.reconnecting);
    setTimeout(connect, delay + Math.random() * 500);
    delay = Math.min(delay * 2, 30000);
  };

  // Give up this connection (a resync failed or went unanswered) and come back with
  // ?after=<seq>, after the usual wait (or the wait that the close `code` calls for).
  const abandon = (code = null) => {
    const old = socket;
    if (old === null) return;
    lost(code);
    old.close();
  };

  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    setStatus(connects++ === 0 ? strings.connecting : strings.reconnecting);
    const ws = new WebSocket(`${scheme}://${location.host}${root.dataset.wsUrl}?after=${seq}`);
    socket = ws;
    ws.addEventListener("open", () => {
      if (ws !== socket) return;
      forgetSync();
      setStatus(strings.live);
      if (who) who.hidden = false;
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

  refreshControls();
  refreshResults();
  setInterval(tick, 1000);
  connect();
}
