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

  const announce = (text) => {
    let region = document.getElementById("pact-announce");
    if (!region) {
      region = document.createElement("p");
      region.id = "pact-announce";
      region.className = "visually-hidden";
      region.setAttribute("aria-live", "polite");
      root.prepend(region);
    }
    region.textContent = text;
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

  // The card of one amendment, as the server renders it for this person; replaces the
  // one shown, or goes under its article. Nothing happens where the page shows none.
  const refreshCard = async (id, articleKey, isNew) => {
    const list = document.getElementById(`amendments-${articleKey}`);
    const shown = document.getElementById(`amendment-${id}`);
    if (!shown && !list) return;
    let html;
    try {
      const response = await fetch(`${root.dataset.cardsUrl}${id}/card/`, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      html = await response.text();
    } catch (error) {
      return;
    }
    const card = new DOMParser().parseFromString(html, "text/html").body.firstElementChild;
    if (!card) return;
    const current = document.getElementById(`amendment-${id}`);
    if (current) {
      current.replaceWith(card);
    } else if (list) {
      const link = list.querySelector(".amend-link");
      list.insertBefore(card, link);
    }
    if (isNew) {
      card.classList.add("just-arrived");
      announce(strings.newAmendment);
    }
  };

  const setCounts = (frame) => {
    const card = document.getElementById(`amendment-${frame.amendment}`);
    if (!card) return;
    const supporters = card.querySelector("[data-supporters]");
    const opponents = card.querySelector("[data-opponents]");
    if (supporters) supporters.textContent = String(frame.supporters);
    if (opponents) opponents.textContent = String(frame.opponents);
  };

  const articleOf = (id) => {
    const card = document.getElementById(`amendment-${id}`);
    return card ? card.dataset.article : null;
  };

  const EVENTS = {
    "amendment.proposed": (f) => refreshCard(f.amendment.id, f.amendment.article, true),
    "amendment.counts": setCounts,
    "amendment.decided": (f) => refreshCard(f.amendment, articleOf(f.amendment), false),
    "amendment.commented": (f) => refreshCard(f.amendment, articleOf(f.amendment), false),
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

  openStream({
    url: root.dataset.wsUrl,
    seq: pageSeq,
    onEvent(frame) {
      const handle = EVENTS[frame.type];
      if (handle) handle(frame);
    },
    onCatchUp(frame) {
      // A snapshot means the page was too far behind to be sent what it missed.
      if (frame.type === "snapshot" && frame.seq > pageSeq) stale();
    },
    onFrame(frame) {
      if (frame.type === "viewers" && viewers) {
        viewers.querySelector("[data-viewers]").textContent = String(frame.count);
        viewers.hidden = false;
      }
    },
    onStatus(state) {
      if (status) status.textContent = STATUS[state] || "";
    },
  });
}
