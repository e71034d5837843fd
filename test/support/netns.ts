// Several hosts on one machine: network namespaces on one Ethernet segment (a bridge in a
// namespace of its own), each with its own address, the test's own namespace among them. Made
// with `ip netns` and veth pairs (root only). Every name and the subnet derive from this process's
// pid, so concurrent runs never collide; leftovers of runs whose process is gone are removed first.
// The bridge lives in a fresh namespace, whose empty firewall forwards everything: the machine's
// own FORWARD policy (Docker sets DROP) never sees this traffic.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const PREFIX = 'gs';
const OWN = `${PREFIX}${process.pid}`;

function ip(args: readonly string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

function tryIp(args: readonly string[]): void {
  try {
    ip(args);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces, root-side links and hosts files of earlier runs whose process no longer exists. */
function removeLeftovers(): void {
  const namespaces = ip(['netns', 'list']).split('\n').map((line) => line.split(' ')[0]).filter(Boolean);
  for (const name of namespaces) {
    const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    // Our own pid too: this process has made none yet, so they are a dead process's of that pid.
    if (match && (Number(match[1]) === process.pid || !alive(Number(match[1])))) removeNamespace(name);
  }
  for (const line of ip(['-o', 'link', 'show']).split('\n')) {
    const match = /^\d+: (v(\d+)r)@/.exec(line);
    if (match && (Number(match[2]) === process.pid || !alive(Number(match[2])))) tryIp(['link', 'del', match[1]]);
  }
}

function removeNamespace(name: string): void {
  tryIp(['netns', 'del', name]);
  rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
}

export interface Host {
  /** The namespace's name, for `ip netns exec`. */
  readonly namespace: string;
  readonly address: string;
  /** The command line that runs `command` inside this host's namespace. */
  command(command: string, args: readonly string[]): [string, string[]];
}

export interface Segment {
  /** The subnet's first three octets ("10.140.57"). */
  readonly subnet: string;
  /** The bridge's own host: the hub, where shared services run. */
  readonly hub: Host;
  /** This process's address on the segment (the test talks to the hosts from here). */
  readonly ownAddress: string;
  /** A new host at subnet.octet, optionally with /etc/hosts entries of its own. */
  addHost(name: string, octet: number, hosts?: Readonly<Record<string, readonly string[]>>): Host;
  /** Removes every namespace and link made here. Idempotent. */
  destroy(): void;
}

function hostIn(namespace: string, address: string): Host {
  return { namespace, address, command: (command, args) => ['ip', ['netns', 'exec', namespace, command, ...args]] };
}

/** `ip netns exec` bind-mounts /etc/netns/<name>/hosts over /etc/hosts: names that resolve to several hosts. */
function writeHosts(namespace: string, hosts: Readonly<Record<string, readonly string[]>>): void {
  const lines = ['127.0.0.1 localhost', ...Object.entries(hosts).flatMap(([name, addresses]) => addresses.map((address) => `${address} ${name}`))];
  mkdirSync(`/etc/netns/${namespace}`, { recursive: true });
  writeFileSync(`/etc/netns/${namespace}/hosts`, `${lines.join('\n')}\n`);
}

/** One segment per process (its names derive from the pid). */
export function createSegment(): Segment {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('network namespaces need root (ip netns add): run the tests as root');
  }
  removeLeftovers();
  // pid_max is 32768 here: 15 bits of pid give a /24 of 10.128.0.0/9 no other run can have.
  const pid = process.pid % 32768;
  const subnet = `10.${128 + (pid >> 8)}.${pid & 255}`;
  if (ip(['-4', 'route', 'show']).split('\n').some((route) => route.startsWith(`${subnet}.`))) throw new Error(`subnet ${subnet}.0/24 is already routed on this machine`);

  const made: string[] = [];
  const hubName = `${OWN}-hub`;
  const rootLink = `v${process.pid}r`;
  const destroy = () => {
    for (const name of made.reverse()) removeNamespace(name);
    made.length = 0;
    tryIp(['link', 'del', rootLink]);
  };
  process.once('exit', destroy);
  try {
    ip(['netns', 'add', hubName]);
    made.push(hubName);
    ip(['-n', hubName, 'link', 'set', 'lo', 'up']);
    ip(['-n', hubName, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', hubName, 'addr', 'add', `${subnet}.1/24`, 'dev', 'br0']);
    ip(['-n', hubName, 'link', 'set', 'br0', 'up']);

    /** A veth pair: one end (named `inside` there) in `namespace` or here, the other on the bridge. */
    const plug = (link: string, namespace: string | null, address: string) => {
      ip(['link', 'add', link, 'type', 'veth', 'peer', 'name', `${link}p`]);
      ip(['link', 'set', `${link}p`, 'netns', hubName]);
      ip(['-n', hubName, 'link', 'set', `${link}p`, 'master', 'br0', 'up']);
      if (namespace) {
        ip(['link', 'set', link, 'netns', namespace]);
        ip(['-n', namespace, 'link', 'set', link, 'name', 'eth0']);
        ip(['-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
        ip(['-n', namespace, 'link', 'set', 'eth0', 'up']);
      } else {
        ip(['addr', 'add', `${address}/24`, 'dev', link]);
        ip(['link', 'set', link, 'up']);
      }
    };
    plug(rootLink, null, `${subnet}.254`);

    return {
      subnet,
      hub: hostIn(hubName, `${subnet}.1`),
      ownAddress: `${subnet}.254`,
      addHost(name, octet, hosts) {
        const namespace = `${OWN}-${name}`;
        ip(['netns', 'add', namespace]);
        made.push(namespace);
        ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
        plug(`v${process.pid}${name}`, namespace, `${subnet}.${octet}`);
        if (hosts) writeHosts(namespace, hosts);
        return hostIn(namespace, `${subnet}.${octet}`);
      },
      destroy,
    };
  } catch (error) {
    destroy();
    throw error;
  }
}
