"""Each timed run starts with the broker's heap collected.

The broker is a JVM with a serial collector: a run pays for the garbage
the run before it left, whenever the young generation fills. Measured
(session 29, 300,000 x 100 B lz4, four and five alternating rounds): the
run right after Java's ProducerPerformance took 14 % longer than after
another C client, for kfk and librdkafka alike, and with a full collection
before every run the difference was gone. The rows' order rotates, which
keeps the clients' cyclic order: kfk-c followed the Java tool in two of
its five runs of the C programs' rows.

So before each timed run the bench asks the broker's JVM for a full
collection (what `jcmd PID GC.run` does), through HotSpot's attach socket:
about 70 ms, where starting jcmd each time costs 370. jcmd starts the
socket's listener the first time.
"""
import os
import shutil
import socket
import subprocess

ATTACH_DIR = "/tmp"  # where HotSpot on Linux puts its attach socket, .java_pid<PID>


def listening_pid(port):
    """The pid of the local process listening on TCP port, or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    # local address "HEX_IP:HEX_PORT", state 0A is LISTEN
                    if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                        inodes.add(fields[9])
        except OSError:
            continue
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in wanted for fd in fds):
                return int(pid)
        except OSError:
            continue
    return None


class BrokerHeap:
    """collect() runs a full collection in the JVM of the broker brokers
    names first; reason says why it cannot (then collect() does nothing)."""

    def __init__(self, brokers):
        self.pid, self.reason = None, None
        first, *others = brokers.split(",")
        self.which = f" (only {first}'s, of {len(others) + 1} brokers)" if others else ""
        port = int(first.rsplit(":", 1)[1])
        pid = listening_pid(port)
        if pid is None:
            self.reason = f"no local process listens on port {port}"
            return
        self.socket_path = os.path.join(ATTACH_DIR, f".java_pid{pid}")
        if not os.path.exists(self.socket_path):
            jcmd = os.path.join(os.path.dirname(os.path.realpath(f"/proc/{pid}/exe")), "jcmd")
            jcmd = jcmd if os.access(jcmd, os.X_OK) else shutil.which("jcmd")
            if jcmd is None:
                self.reason = "no jcmd beside the broker's java (a JDK has it)"
                return
            try:
                subprocess.run([jcmd, str(pid), "VM.version"], capture_output=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired) as e:
                self.reason = f"jcmd failed: {e}"
                return
            if not os.path.exists(self.socket_path):
                self.reason = f"jcmd started no attach socket at {self.socket_path}"
                return
        self.pid = pid
        self.collect()

    def collect(self):
        """True once the collection ran (the JVM answers when it is done).
        A failure stops the collections, with reason set: the runs go on."""
        if self.pid is None:
            return False
        # HotSpot's attach protocol 1: version, command and three arguments,
        # each NUL-terminated; the answer starts with a status line, 0 for done.
        answer = b""
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(60)
                s.connect(self.socket_path)
                s.sendall(b"1\0jcmd\0GC.run\0\0\0")
                while chunk := s.recv(4096):
                    answer += chunk
        except OSError as e:
            self.pid, self.reason = None, f"the attach socket failed: {e}"
            return False
        if answer.split(b"\n", 1)[0] != b"0":
            self.pid, self.reason = None, f"the broker's JVM answered GC.run with {answer[:200]!r}"
            return False
        return True

    def describe(self):
        if self.reason is not None:
            return f"not collected before each run: {self.reason}"
        return "collected before each run" + self.which
