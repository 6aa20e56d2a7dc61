/**
 * DNS on loopback, for the tests: stand-in upstream servers that answer every A query with one
 * address (or refuse, fail, or stay silent) and record what they were asked; a real dnsmasq
 * started on a loopback port; queries through Node's resolver (c-ares). Nothing leaves 127.0.0.1.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import { promises as dns } from 'node:dns';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './labs';

/** How a stand-in upstream behaves. */
export type UpstreamBehaviour = { readonly answer: string } | { readonly rcode: 'REFUSED' | 'SERVFAIL' } | 'silent';

/** A stand-in upstream DNS server on 127.0.0.1. */
export interface FakeUpstream {
  readonly port: number;
  /** The names it was asked, in order. */
  readonly queries: string[];
  close(): Promise<void>;
}

const RCODES = { REFUSED: 5, SERVFAIL: 2 } as const;

/** Starts a stand-in upstream on a free UDP port of 127.0.0.1. */
export async function startFakeUpstream(behaviour: UpstreamBehaviour): Promise<FakeUpstream> {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (message, peer) => {
    const { name, questionEnd } = readQuestion(message);
    queries.push(name);
    if (behaviour === 'silent') {
      return;
    }
    const header = Buffer.from(message.subarray(0, 12));
    const isAnswer = 'answer' in behaviour;
    header[2] = 0x81; // a response, recursion desired
    header[3] = 0x80 | (isAnswer ? 0 : RCODES[behaviour.rcode]); // recursion available, rcode
    header.writeUInt16BE(1, 4); // one question
    header.writeUInt16BE(isAnswer ? 1 : 0, 6);
    header.writeUInt32BE(0, 8); // no authority, no additional records
    const parts = [header, message.subarray(12, questionEnd)];
    if (isAnswer) {
      // name (pointer to the question), type A, class IN, TTL 60, 4 bytes of address
      parts.push(Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]), Buffer.from(behaviour.answer.split('.').map(Number)));
    }
    socket.send(Buffer.concat(parts), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A UDP port of 127.0.0.1 that nothing listens on (just now). */
export async function closedUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function readQuestion(message: Buffer): { name: string; questionEnd: number } {
  const labels: string[] = [];
  let offset = 12;
  while (message[offset] !== 0) {
    const length = message[offset];
    labels.push(message.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += length + 1;
  }
  return { name: labels.join('.'), questionEnd: offset + 5 }; // the zero byte, type and class
}

/** A dnsmasq running in the foreground on a loopback port. */
export interface LoopbackDnsmasq {
  readonly port: number;
  /** What dnsmasq logged so far (queries included). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts the real dnsmasq with a configuration file, bound to 127.0.0.1 only, on a free port,
 * without a pid file; resolves once it answers.
 */
export async function startDnsmasq(conf: string): Promise<LoopbackDnsmasq> {
  const port = await closedUdpPort();
  const file = path.join(tempDir('dnsmasq-live-'), 'dnsmasq.conf');
  fs.writeFileSync(file, conf);
  const child: ChildProcess = spawn(
    'dnsmasq',
    ['--keep-in-foreground', `--conf-file=${file}`, `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--pid-file=', '--log-facility=-', '--log-queries'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
    }
    await exited;
  };
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) {
      throw new Error(`dnsmasq exited with ${child.exitCode}:\n${output}`);
    }
    if (/started, version/.test(output)) {
      return { port, log: () => output, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`dnsmasq did not start:\n${output}`);
}

/** A resolver that asks only the server on 127.0.0.1:`port`, retrying after `timeoutMs`. */
export function resolverFor(port: number, timeoutMs = 400, tries = 4): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries });
  resolver.setServers([`127.0.0.1:${port}`]);
  return resolver;
}
