"""Raw frames of the local sccache protocol, for the peer-check test (issue 14, item 1).

  greeting PORT OUT          connect to a server, save its first frame (the greeting) raw
  record PORT GREETING OUT   listen once: greet, save the client's first frame raw, hang up
  replay PORT FRAME          connect, send FRAME blindly, print what comes back (one frame)
  fake PORT GREETING LOG     listen forever: greet every client, log the bytes each one sends
A frame is a 4-byte big-endian length and the payload; "raw" keeps both.
"""
import socket
import sys
import threading


def read_frame(sock):
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            return None
        head += chunk
    n = int.from_bytes(head, "big")
    body = b""
    while len(body) < n:
        chunk = sock.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return head + body


def listener(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    print("listening", flush=True)
    return srv


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "greeting":
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            open(sys.argv[3], "wb").write(read_frame(s))
    elif mode == "record":
        greeting = open(sys.argv[3], "rb").read()
        conn, _ = listener(port).accept()
        conn.settimeout(10)
        conn.sendall(greeting)
        open(sys.argv[4], "wb").write(read_frame(conn))
        conn.close()
    elif mode == "replay":
        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            try:
                s.sendall(open(sys.argv[3], "rb").read())
            except OSError as e:
                print("send failed:", e)
            frame = read_frame(s)
            print("no reply" if frame is None else frame[4:].decode("latin-1"))
    elif mode == "fake":
        greeting = open(sys.argv[3], "rb").read()
        log = sys.argv[4]
        srv = listener(port)

        def serve(conn):
            conn.settimeout(5)
            got = 0
            try:
                conn.sendall(greeting)
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    got += len(chunk)
            except OSError:
                pass
            with open(log, "a") as f:
                f.write(f"{got}\n")
            conn.close()

        while True:
            c, _ = srv.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
