// A pact's page, live (docs/live-protocol.md, "Pacts"). The page is rendered by the
// server and works without this script. Events say what changed; an amendment's card
// is fetched again over HTTP, where the same policies decide which forms this person
// gets. Support counts are set in place; a step of the pact itself (a new version, the
// vote) asks the reader to reload, since the whole text may have changed.
import { openStream } from "./live-stream.js";

const root = document.getElementById("pact");
const stringsNode = document.getElementById("pact-strings");

if (root && root.dataset.wsUrl && stringsNode && "WebSocket" in window) {
  startPact(root, JSON.parse(stringsNode.textContent));
}

function startPact(root, strings) {
  const pageSeq = Number(root.dataset.seq);
  const status = document.getElementById("pact-live-status");
  const viewers = document.getElementById("pact-viewers");

  // Screen readers announce what changes in a live region that was already there: it
  // is made at the start, emptied and then filled, so the same news twice is read twice.
  const region = document.createElement("p");
  region.id = "pact-announce";
  region.className = "visually-hidden";
  region.setAttribute("aria-live", "polite");
  root.prepend(region);
  const announce = (text) => {
    region.textContent = "";
    setTimeout(() => {
      region.textContent = text;
    }, 100);
  };

  // The page is behind what it shows: one notice with a reload link, shown once.
  const stale = () => {
    if (document.getElementById("pact-stale")) return;
    const box = document.createElement("p");
    box.id = "pact-stale";
    box.className = "card pact-stale";
    box.setAttribute("role", "status");
    box.textContent = `${strings.changed} `;
    const link = document.createElement("a");
    link.href = location.pathname + location.search;
    link.textContent = strings.reload;
    box.append(link);
    root.querySelector("h1").after(box);
  };

  // What the events said of each amendment: its article (to place a card that has not
  // arrived yet) and its last support counts (a card fetched while a count changed may
  // show the older figures; the event is applied again once the card is in place).
  const articleOf = new Map();
  const countsOf = new Map();
  // The number of the latest fetch of each card: an older answer that arrives after a
  // newer one is dropped, so a card never goes back to what it was.
  const fetches = new Map();

  const fetchCard = async (id) => {
    const response = await fetch(`${root.dataset.cardsUrl}${id}/card/`, {
      headers: { Accept: "text/html" },
      credentials: "same-origin",
    });
    if (response.status === 404) return null; // not for this page (or no longer)
    if (!response.ok) throw new Error(`card ${id}: ${response.status}`);
    return response.text();
  };

  // The card of one amendment, as the server renders it for this person; replaces the
  // one shown, or goes under its article. Nothing happens where the page shows none.
  // A card that cannot be fetched is tried once more, then the page says it is behind.
  const refreshCard = async (id, retried = false) => {
    const key = articleOf.get(id) ?? document.getElementById(`amendment-${id}`)?.dataset.article;
    const list = key == null ? null : document.getElementById(`amendments-${key}`);
    if (!list && !document.getElementById(`amendment-${id}`)) return;
    const ticket = (fetches.get(id) || 0) + 1;
    fetches.set(id, ticket);
    let html;
    try {
      html = await fetchCard(id);
    } catch (error) {
      if (fetches.get(id) !== ticket) return;
      if (retried) stale();
      else setTimeout(() => refreshCard(id, true), 2000);
      return;
    }
    if (fetches.get(id) !== ticket || html === null) return;
    const card = new DOMParser().parseFromString(html, "text/html").body.firstElementChild;
    if (!card) return;
    const current = document.getElementById(`amendment-${id}`);
    if (current) {
      current.replaceWith(card);
    } else if (list) {
      list.insertBefore(card, list.querySelector(".amend-link"));
      card.classList.add("just-arrived");
      announce(strings.newAmendment);
    } else {
      return;
    }
    if (countsOf.has(id)) setCounts(countsOf.get(id));
  };

  const setCounts = (frame) => {
    const card = document.getElementById(`amendment-${frame.amendment}`);
    if (!card) return;
    const supporters = card.querySelector("[data-supporters]");
    const opponents = card.querySelector("[data-opponents]");
    if (supporters) supporters.textContent = String(frame.supporters);
    if (opponents) opponents.textContent = String(frame.opponents);
  };

  const EVENTS = {
    "amendment.proposed": (f) => {
      articleOf.set(f.amendment.id, f.amendment.article);
      refreshCard(f.amendment.id);
    },
    "amendment.counts": (f) => {
      countsOf.set(f.amendment, f);
      setCounts(f);
    },
    "amendment.decided": (f) => refreshCard(f.amendment),
    "amendment.commented": (f) => refreshCard(f.amendment),
    "pact.state": stale,
    "version.published": stale,
    "vote.started": stale,
    "vote.closed": stale,
  };

  const STATUS = {
    connecting: strings.connecting,
    reconnecting: strings.reconnecting,
    live: strings.live,
    offline: strings.offline,
  };

  let applied = pageSeq; // the number of the last event the page shows
  openStream({
    url: root.dataset.wsUrl,
    seq: pageSeq,
    onEvent(frame) {
      applied = frame.seq;
      const handle = EVENTS[frame.type];
      if (handle) handle(frame);
    },
    onCatchUp(frame) {
      // A snapshot instead of what was missed: the page was too far behind (or the
      // stream is not where the page left it), and only a reload shows it as it is.
      if (frame.type === "snapshot" && frame.seq !== applied) stale();
      if (frame.type === "snapshot") applied = frame.seq;
    },
    onFrame(frame) {
      if (frame.type === "viewers" && viewers) {
        viewers.querySelector("[data-viewers]").textContent = String(frame.count);
        viewers.hidden = false;
      }
    },
    onStatus(state) {
      if (status) status.textContent = STATUS[state] || "";
      // Who reads the page is known only while connected; the next count shows it again.
      if (state !== "live" && viewers) viewers.hidden = true;
    },
  });
}
