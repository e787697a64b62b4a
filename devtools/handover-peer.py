#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
"""A hostile peer of the live hand-over (rte_vfio_user_handover_send() /
_recv()), for devtools/test-e2e.sh.

  handover-peer.py successor MODE PATH    listen on PATH as a successor
  handover-peer.py predecessor MODE PATH  connect to PATH as a predecessor

Successor modes (the predecessor must serve on afterwards):
  garbage   send bytes that are no record instead of HELLO
  badver    a HELLO of another version
  cut       a good HELLO, take 3 records, disconnect half-way
  refuse    take every record to END, then an ACK with -EINVAL
  silent    a good HELLO, take every record, never answer
Predecessor modes (the successor must fail cleanly):
  garbage   answer HELLO with bytes that are no record
  lie       a DEV record whose length and fd count do not add up
  cut       a DEV record with a socket, then disconnect

Prints one line saying what it did; exits 0 when the other side behaved
(closed the connection or waited), 1 on a local error.
"""

import os
import socket
import struct
import sys
import time

MAGIC = 0x4F484656
HDR = struct.Struct("<IHHII")
HELLO, DEV, END, ACK = 1, 2, 11, 12


def record(rtype, body=b"", flags=0, nr_fds=0):
    return HDR.pack(MAGIC, rtype, flags, len(body), nr_fds) + body


def recv_record(sock):
    """One record, its fds closed; None at the end of the stream."""
    msg, fds, _, _ = socket.recv_fds(sock, 65536, 64)
    for fd in fds:
        os.close(fd)
    if not msg:
        return None
    if len(msg) < HDR.size:
        raise ValueError("short record")
    return HDR.unpack_from(msg)


def successor(mode, path):
    if os.path.exists(path):
        os.unlink(path)
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    lsock.bind(path)
    lsock.listen(1)
    lsock.settimeout(30)
    conn, _ = lsock.accept()
    lsock.close()
    os.unlink(path)
    conn.settimeout(30)
    if mode == "garbage":
        conn.send(b"\xde\xad\xbe\xef" * 7)
    elif mode == "badver":
        conn.send(record(HELLO, struct.pack("<II", 99, os.getpid())))
    else:
        conn.send(record(HELLO, struct.pack("<II", 1, os.getpid())))
    n = 0
    try:
        while True:
            hdr = recv_record(conn)
            if hdr is None:
                break
            n += 1
            if mode == "cut" and n == 3:
                break
            if hdr[1] == END:
                if mode == "refuse":
                    conn.send(record(ACK, struct.pack("<iI", -22, 0)))
                elif mode == "silent":
                    time.sleep(5)
                break
    except (OSError, ValueError):
        pass
    conn.close()
    print(f"successor {mode}: {n} records taken")


def predecessor(mode, path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.settimeout(30)
    for _ in range(100):
        try:
            sock.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            time.sleep(0.1)
    hdr = recv_record(sock)
    if hdr is None or hdr[1] != HELLO:
        print("predecessor: no HELLO")
        return 1
    if mode == "garbage":
        sock.send(b"\x00" * 3)
    elif mode == "lie":
        # says 2 fds and 100 bytes, carries 8 bytes and 1 fd
        r, w = os.pipe()
        msg = HDR.pack(MAGIC, DEV, 0, 100, 2) + b"\x01" * 8
        socket.send_fds(sock, [msg], [r])
        os.close(r)
        os.close(w)
    elif mode == "cut":
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        body = b"/nowhere".ljust(108, b"\x00") + b"\x00" * 1200
        socket.send_fds(sock, [record(DEV, body, nr_fds=1)],
                        [lsock.fileno()])
        lsock.close()
    try:
        sock.recv(65536)
    except OSError:
        pass
    sock.close()
    print(f"predecessor {mode}: sent")
    return 0


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("successor", "predecessor"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "successor":
        successor(sys.argv[2], sys.argv[3])
        return 0
    return predecessor(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    sys.exit(main())
