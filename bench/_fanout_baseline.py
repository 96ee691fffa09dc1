"""The baseline of `live_fanout.py`: a bare `websockets` server that speaks just enough of
the room's protocol for the same clients, and broadcasts what one client sends to all.

    .venv/bin/python bench/_fanout_baseline.py PORT

One process, one uvloop loop, no Django, no channel layer, no database. A socket gets a
`snapshot` (seq 0) when it connects; `meeting.open` and `comment.post` from any socket
become the next numbered `meeting.state` / `comment.posted` frame, encoded once and
written to every open socket with `websockets.broadcast`; the sender gets its `ok`.
Whatever the real room does beyond that (sessions, permissions, storing the comment and
its event, the channel layer, the relay) is what the benchmark compares against this.
"""

import json
import sys
from datetime import UTC, datetime

import uvloop
from websockets.asyncio.server import broadcast, serve

sockets = set()
seq = 0


def numbered(type: str, **data) -> str:
    global seq
    seq += 1
    at = datetime.now(UTC).isoformat()
    return json.dumps(
        {"type": type, "seq": seq, "at": at, **data}, ensure_ascii=False, separators=(",", ":")
    )


async def room(socket) -> None:
    await socket.send(json.dumps({"type": "snapshot", "seq": seq}))
    sockets.add(socket)
    try:
        async for message in socket:
            request = json.loads(message)
            if request["type"] == "meeting.open":
                frame = numbered("meeting.state", state="open", state_label="open")
            elif request["type"] == "comment.post":
                comment = {"id": seq + 1, "author": "bench", "building": None}
                comment |= {"text": request["text"], "item": None, "at": None}
                frame = numbered("comment.posted", comment=comment)
            else:
                continue
            broadcast(sockets, frame)
            await socket.send(json.dumps({"type": "ok", "ref": request.get("ref")}))
    finally:
        sockets.discard(socket)


async def main(port: int) -> None:
    async with serve(room, "127.0.0.1", port, compression=None, max_queue=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1])))
