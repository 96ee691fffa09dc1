// The live room of a meeting (docs/live-protocol.md). The page is rendered by the
// server and works without this script: every action is a plain form. This module
// follows the room's numbered stream at /ws/meetings/<pk>/ through ./live-stream.js
// (which applies each event once and in order, catches up and reconnects) and shows
// what the events say. While connected, the room's forms are sent over the socket
// instead of being posted. Lists are re-rendered from the <template> elements the
// server rendered with the same markup; what people wrote is set with textContent only.
import { openStream } from "./live-stream.js";

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

  let currentItem = initial.current_item;
  // The poll of each agenda item: the poll area is fetched again only when the item
  // under discussion has (or had) one, not by every phone on every step of the chair.
  let pollOf = new Map((initial.agenda || []).map((item) => [item.id, item.poll]));
  const currentPoll = () => pollOf.get(currentItem) || null;
  let speakers = initial.speakers;
  let lastFloor = speakers.floor ? speakers.floor.request : null;
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

  const settle = (ref) => {
    const form = pending.get(ref);
    pending.delete(ref);
    if (form) {
      form.removeAttribute("aria-busy");
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
    return form;
  };

  // Frames without a number: refreshes of the room and answers to this page's messages.
  const UNSEQUENCED = {
    presence: (frame) => renderPresence(frame),
    "poll.updated": () => refreshResults(),
    "presence.who": (frame) => {
      settle(frame.ref);
      renderWho(frame.buildings || []);
    },
    ok: (frame) => {
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
    },
    error: (frame) => {
      settle(frame.ref);
      showError(frame.message);
    },
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
    if (!form || !stream.live()) return;
    event.preventDefault();
    clearError();
    const ref = `f${++refs}`;
    pending.set(ref, form);
    form.setAttribute("aria-busy", "true");
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    stream.send({ ...messageOf(form), ref });
  });

  const who = $("room-who");
  if (who) {
    who.addEventListener("click", () => {
      if (!stream.live()) return;
      clearError();
      stream.send({ type: "presence.who", ref: `w${++refs}` });
    });
  }

  // ------------------------------------------------------------------ the connection

  refreshControls();
  refreshResults();
  setInterval(tick, 1000);

  const stream = openStream({
    url: root.dataset.wsUrl,
    seq: initial.seq,
    onEvent: (frame) => {
      eventAt(frame.at);
      const handle = SEQUENCED[frame.type];
      if (handle) handle(frame);
    },
    onCatchUp: (frame) => {
      serverNow(frame.now);
      if (frame.type === "snapshot") applySnapshot(frame);
      tick();
    },
    onFrame: (frame) => {
      const handle = UNSEQUENCED[frame.type];
      if (handle) handle(frame);
    },
    // The room's strings are named after the statuses. "offline" follows 4401 (signed
    // out) or 4404 (no such meeting): the page still works by reloading.
    onStatus: (status) => {
      setStatus(strings[status]);
      const live = status === "live";
      // Not live: no answer comes to the forms sent, and forms are posted as usual.
      if (!live) for (const ref of [...pending.keys()]) settle(ref);
      if (who) who.hidden = !live;
    },
  });
}
