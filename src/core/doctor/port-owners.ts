/**
 * Who listens on a TCP port, read from Linux's /proc: the listening sockets of /proc/net/tcp and
 * tcp6 (their inode), and the process holding each inode (a `socket:[inode]` link in
 * /proc/PID/fd). A socket of another user's process is listed without its process (its fds are
 * not readable). Elsewhere than Linux nothing is known (an empty list).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface PortListener {
  port: number;
  /** The local address it listens on (`127.0.0.1`, `0.0.0.0`, `::`…). */
  address: string;
  inode: number;
  /** The process holding the socket, when it could be found. */
  pid?: number;
  command?: string;
}

const LISTEN = '0A';

/** The listening TCP sockets (IPv4 and IPv6). */
export function listeningSockets(): Omit<PortListener, 'pid' | 'command'>[] {
  const out: Omit<PortListener, 'pid' | 'command'>[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN) continue;
      const [addrHex, portHex] = f[1]!.split(':');
      out.push({ port: parseInt(portHex!, 16), address: decodeAddress(addrHex!), inode: Number(f[9]) });
    }
  }
  return out;
}

/** /proc/net/tcp's address: IPv4 as one little-endian word, IPv6 as four. */
export function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.every((b, i) => (i < 10 ? b === 0 : i < 12 ? b === 255 : true)) && bytes.length === 16) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** The process of each socket inode that this user may see: inode → pid. */
function socketOwners(inodes: ReadonlySet<number>): Map<number, number> {
  const owners = new Map<number, number>();
  if (!inodes.size) return owners;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return owners;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(Number(m[1]))) owners.set(Number(m[1]), Number(pid));
    }
    if (owners.size === inodes.size) break;
  }
  return owners;
}

/** A process's command line (`/proc/PID/cmdline`, NULs as spaces), or its name. */
export function commandOf(pid: number): string | undefined {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    if (cmd) return cmd.length > 200 ? `${cmd.slice(0, 200)}…` : cmd;
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Who listens on each of `ports` (only the ports asked for are looked up). */
export function listenersOn(ports: Iterable<number>): PortListener[] {
  const wanted = new Set(ports);
  const sockets = listeningSockets().filter((s) => wanted.has(s.port));
  const owners = socketOwners(new Set(sockets.map((s) => s.inode)));
  return sockets.map((s) => {
    const pid = owners.get(s.inode);
    const command = pid === undefined ? undefined : commandOf(pid);
    return { ...s, ...(pid !== undefined ? { pid } : {}), ...(command !== undefined ? { command } : {}) };
  });
}

/** The TCP ports a process listens on (its socket inodes among the listening sockets). */
export function listeningPortsOf(pid: number): number[] {
  const inodes = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return [...new Set(listeningSockets().filter((s) => inodes.has(s.inode)).map((s) => s.port))];
}
