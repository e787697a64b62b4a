#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors

"""Check the lib.vfio_user.* events of a decoded trace (babeltrace text).

Usage: check-trace.py [--migration] TRACE.txt

Checks that the events expected from vfio_user_autotest are there with
sensible fields:
  * a VERSION (1) command received and its reply sent on the same socket
    with the same message id (msg.rx / msg.tx), and the client's VERSION
    command sent and the reply received;
  * a server DMA_MAP handled (dma.map, result 0, nonzero size, an fd) for
    an iova/size a client mapped (client.dma.map, result 0), the DMA_MAP
    (2) message received, and a DMA_UNMAP on each side;
  * an interrupt signalled (irq.trigger, result 0);
  * server DMA (dma.rw result 0, dma.seg pieces);
  * the life cycle: dev.start, conn.new, conn.ready (protocol 0.x),
    conn.closed, dev.stop.
With --migration (a trace of vfio_user_migration_autotest) it checks
mig.state instead: arcs taken with result 0, among them STOP (1) ->
RUNNING (2) or back.
Exit status 0 when every check passes, 1 otherwise (the failed checks on
stderr).
"""

import re
import sys

EVENT = re.compile(r'lib\.vfio_user\.([\w.]+): \{[^}]*\}, \{ (.*) \}\s*$')
FIELD = re.compile(r'(\w+) = ("[^"]*"|[^,]+)(?:, |$)')

F_TYPE_MASK = 0xf
F_COMMAND = 0x0
F_REPLY = 0x1
CMD_VERSION = 1
CMD_DMA_MAP = 2
CMD_DMA_UNMAP = 3


def value(v):
    v = v.strip()
    if v.startswith('"'):
        return v.strip('"')
    return int(v, 0)


def parse(path):
    events = {}
    for ln in open(path, encoding='utf-8', errors='replace'):
        m = EVENT.search(ln)
        if m is None:
            continue
        fields = {k: value(v) for k, v in FIELD.findall(m.group(2))}
        events.setdefault(m.group(1), []).append(fields)
    return events


def main():
    args = sys.argv[1:]
    migration = '--migration' in args
    args = [a for a in args if a != '--migration']
    if len(args) != 1:
        sys.exit(__doc__)
    ev = parse(args[0])
    failures = []

    def check(ok, what):
        print('%s: %s' % ('ok' if ok else 'FAILED', what))
        if not ok:
            failures.append(what)

    def get(name):
        return ev.get(name, [])

    for name in sorted(ev):
        print('%6d lib.vfio_user.%s' % (len(ev[name]), name))

    if migration:
        arcs = get('mig.state')
        check(any(a['result'] == 0 for a in arcs),
              'mig.state: arcs taken with result 0')
        check(any({a['from'], a['to']} == {1, 2} and a['result'] == 0
                  for a in arcs),
              'mig.state: STOP (1) <-> RUNNING (2)')
        check(all(a['from'] <= 10 and a['to'] <= 10 for a in arcs),
              'mig.state: states are VFIO migration v2 states')
        return 1 if failures else 0

    rx, tx = get('msg.rx'), get('msg.tx')

    def version_pair(cmd_side, reply_side):
        cmds = {(e['fd'], e['msg_id']) for e in cmd_side
                if e['cmd'] == CMD_VERSION and
                e['flags'] & F_TYPE_MASK == F_COMMAND and e['size'] > 16}
        return any((e['fd'], e['msg_id']) in cmds for e in reply_side
                   if e['cmd'] == CMD_VERSION and
                   e['flags'] & F_TYPE_MASK == F_REPLY and
                   e['error'] == 0 and e['size'] > 16)

    check(version_pair(rx, tx),
          'server: VERSION (1) command received, reply sent on its socket '
          'with its message id')
    check(version_pair(tx, rx),
          'client: VERSION (1) command sent, reply received on its socket '
          'with its message id')
    check(any(e['cmd'] == CMD_DMA_MAP and
              e['flags'] & F_TYPE_MASK == F_COMMAND and e['nr_fds'] == 1
              for e in rx),
          'DMA_MAP (2) command received with its fd')
    check(any(e['cmd'] == CMD_DMA_UNMAP for e in rx),
          'DMA_UNMAP (3) command received')

    smaps = {(e['iova'], e['size']) for e in get('dma.map')
             if e['result'] == 0 and e['size'] > 0 and e['fd'] >= 0 and
             e['prot'] != 0}
    cmaps = {(e['iova'], e['size']) for e in get('client.dma.map')
             if e['result'] == 0 and e['size'] > 0}
    check(len(smaps) > 0, 'dma.map: a map with an fd taken by the server')
    check(len(smaps & cmaps) > 0,
          'dma.map: iova and size as the client mapped them '
          '(client.dma.map)')
    check(any(e['result'] == 0 for e in get('dma.unmap')),
          'dma.unmap: a map removed by the server')
    check(any(e['result'] == 0 for e in get('client.dma.unmap')),
          'client.dma.unmap: a map removed by the client')
    check(any(e['result'] == 0 for e in get('irq.trigger')),
          'irq.trigger: an interrupt signalled')
    check(any(e['result'] == 0 and e['len'] > 0 for e in get('dma.rw')),
          'dma.rw: server DMA done')
    check(any(e['len'] > 0 for e in get('dma.seg')),
          'dma.seg: pieces of server DMA')
    check(any(e['path'].startswith('/') for e in get('dev.start')),
          'dev.start: a device started on a socket path')
    check(len(get('dev.stop')) > 0, 'dev.stop: a device unregistered')
    check(any(e['fd'] >= 0 for e in get('conn.new')),
          'conn.new: a client connected')
    check(any(e['major'] == 0 for e in get('conn.ready')),
          'conn.ready: a client negotiated protocol 0.x')
    check(any(e['was_ready'] == 1 for e in get('conn.closed')),
          'conn.closed: a negotiated client left')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
